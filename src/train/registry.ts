/**
 * The one place where a configuration becomes a network and a loss. Adding a network or a loss
 * means adding a case here: `buildNetwork` returns how to create, describe and rebuild it,
 * `buildLoss` the loss the trainer minimises.
 *
 * Networks: `psp` is PSP-Seg (src/models) of config.network.variant, or the architecture in
 * config.network.architecture (--architecture: a pruned model re-trained from scratch); `plain` is
 * nnU-Net's PlainConvUNet with the topology run.ts derived from the plan (config.network.architecture);
 * `small` is the demo's small U-Net. `describe` is the network's architecture JSON, PRM block states
 * included, so `restore` rebuilds a pruned network (masked blocks masked, deleted ones absent) before
 * its weights load. Losses: `psp` is Dice+CE + lambdaTR * TR + lambdaRL * RL with TR's masked input
 * filled with the plan's normalised 0.5th foreground percentile per channel; `dice_ce` is Dice+CE.
 */
import { z } from 'zod';
import { Generator } from '../tensor/index.js';
import { SmallUNet } from '../models/small_unet.js';
import { type Architecture, EfficientBlock, type PlainArchitecture, type PspArchitecture, PlainUNet, PSPSegNet, pspArchitecture, validateArchitecture } from '../models/index.js';
import { deepSupervisionScales } from '../data/augment/deep_supervision.js';
import { type BatchReduction, type TrainingLoss, trainingLoss } from '../losses/index.js';
import type { TrainConfig } from './config.js';
import type { NetworkBuilder } from './interfaces.js';

import type { Scale3 } from '../util/triple.js';

const smallArchitecture = z.object({
  kind: z.literal('small-unet'),
  inChannels: z.number().int().positive(),
  classes: z.number().int().min(2),
  widths: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]),
}).strict();

/** The architecture must fit the dataset the run trains on. */
function checkFits(source: string, got: { inChannels: number; classes: number }, config: TrainConfig): void {
  const { inChannels, classes } = config.dataset;
  if (got.inChannels !== inChannels || got.classes !== classes)
    throw new Error(`${source}: architecture has ${got.inChannels} input channel(s) and ${got.classes} classes, the run's dataset ${inChannels} and ${classes}`);
}

function smallUNetBuilder(config: TrainConfig): NetworkBuilder {
  return {
    patchMultiple: SmallUNet.patchMultiple,
    create: (seed) => new SmallUNet(config.dataset.inChannels, config.dataset.classes, new Generator(seed)),
    describe: (net) => (net as SmallUNet).architecture(),
    restore: (description, source) => {
      const r = smallArchitecture.safeParse(description);
      if (!r.success) throw new Error(`${source}: not a small U-Net architecture (${r.error.issues[0]!.path.join('.') || 'kind'}: ${r.error.issues[0]!.message})`);
      checkFits(source, r.data, config);
      return new SmallUNet(r.data.inChannels, r.data.classes, new Generator(0), r.data.widths);
    },
    outputScales: () => [[1, 1, 1]],
  };
}

/** A models architecture of the wanted kind (validated; errors name `source`). */
function architectureOf<K extends Architecture['kind']>(raw: unknown, kind: K, source: string): Extract<Architecture, { kind: K }> {
  const a = validateArchitecture(raw, source);
  if (a.kind !== kind) throw new Error(`${source}: a ${a.kind} architecture, but the run trains --arch ${kind}`);
  return a as Extract<Architecture, { kind: K }>;
}

/** The PSP-Seg architecture a fresh run starts from: the given one, or the variant's for the dataset. */
export function pspStartArchitecture(config: TrainConfig): PspArchitecture {
  const n = config.network;
  if (n.architecture !== null) {
    const a = architectureOf(n.architecture, 'psp', 'config.network.architecture');
    checkFits('config.network.architecture', a, config);
    return { ...a, deepSupervision: n.deepSupervision };
  }
  return pspArchitecture({
    variant: n.variant ?? 'S', inChannels: config.dataset.inChannels, classes: config.dataset.classes, deepSupervision: n.deepSupervision,
  });
}

/** PSP-Seg's builder, typed as such (its pruning hooks need the PRMs). */
export function pspBuilder(config: TrainConfig): NetworkBuilder<PSPSegNet> {
  const start = pspStartArchitecture(config);
  const build = (a: PspArchitecture, g?: Generator): PSPSegNet => {
    const net = new PSPSegNet(a, { generator: g });
    net.returnDecoderFeatures = config.loss.name === 'psp' && config.loss.rlVariant === 'paper';
    return net;
  };
  const stride = 2 ** (start.channels.length - 1);
  return {
    patchMultiple: stride,
    create: (seed) => build(start, new Generator(seed)),
    describe: (net) => net.architecture(),
    restore: (description, source) => {
      const a = architectureOf(description, 'psp', source);
      checkFits(source, a, config);
      return build(a);
    },
    // [full, head1 (1/2), ..., head{S-2}]: L has five outputs, S and B four.
    outputScales: (net) => {
      const n = net.deepSupervision ? net.stages - 1 : 1;
      return Array.from({ length: n }, (_, i): Scale3 => [2 ** -i, 2 ** -i, 2 ** -i]);
    },
  };
}

function plainBuilder(config: TrainConfig): NetworkBuilder {
  if (config.network.architecture === null) throw new Error('--arch plain: config.network.architecture is missing (run.ts derives it from the plan)');
  const start: PlainArchitecture = { ...architectureOf(config.network.architecture, 'plain', 'config.network.architecture'), deepSupervision: config.network.deepSupervision };
  checkFits('config.network.architecture', start, config);
  const strides = start.strides as Scale3[];
  return {
    patchMultiple: [0, 1, 2].map((a) => strides.reduce((p, s) => p * s[a]!, 1)) as Scale3,
    create: (seed) => new PlainUNet(start, { generator: new Generator(seed) }),
    describe: (net) => (net as PlainUNet).architecture(),
    restore: (description, source) => {
      const a = architectureOf(description, 'plain', source);
      checkFits(source, a, config);
      return new PlainUNet(a);
    },
    // nnU-Net: 1 / cumprod(strides), one per decoder stage, full resolution first.
    outputScales: (net) => ((net as PlainUNet).deepSupervision ? deepSupervisionScales((net as PlainUNet).arch.strides) : [[1, 1, 1]]),
  };
}

export function buildNetwork(config: TrainConfig): NetworkBuilder {
  switch (config.network.arch) {
    case 'small': return smallUNetBuilder(config);
    case 'psp': return pspBuilder(config);
    case 'plain': return plainBuilder(config);
  }
}

/** Parameters of a PSP-Seg network's architecture with every block present (masked and deleted ones rebuilt). */
export function unprunedParameters(net: PSPSegNet): number {
  let n = net.numParameters();
  const a = net.arch;
  for (const m of net.prunableModules())
    for (const b of m.blocks()) {
      if (b.state !== 'deleted') continue;
      const block = new EfficientBlock(m.channels, m.channels, b.kernel, a.ratio, { normAffine: a.normAffine });
      n += block.numParameters();
      block.dispose();
    }
  return n;
}

/** `batch`: data-parallel training's ranks that share each batch (the loss' batch statistics over them). */
export function buildLoss(config: TrainConfig, batch?: BatchReduction): TrainingLoss {
  return trainingLoss(config.loss, config.dataset.foregroundFill, batch);
}
