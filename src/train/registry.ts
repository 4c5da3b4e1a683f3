/**
 * The one place where a configuration becomes a network and a loss. Adding a network or a loss
 * means adding a case here: `buildNetwork` returns how to create, describe and rebuild it,
 * `buildLoss` the loss the trainer minimises.
 *
 * Wiring PSP-Seg (src/models, src/losses): `psp` / `plain` return a NetworkBuilder like
 * smallUNetBuilder: create(seed) = the network for config.dataset.inChannels / classes,
 * config.network.variant and deepSupervision, initialised from a Generator(seed); describe = its
 * architecture JSON (after pruning too); restore = the network from that JSON (checkFits first);
 * outputScales = [1,1,1], [.5,.5,.5], ... one per logits entry. The `psp` loss: termNames
 * ['seg', 'tr', 'rl'], maskInput = (image, target) => maskInput(image, target, fill) with the fill
 * from config.dataset.foregroundFill, compute = the loss with config.loss.lambdaTR / lambdaRL.
 */
import { z } from 'zod';
import { Generator } from '../tensor/index.js';
import { SmallUNet } from '../models/small_unet.js';
import { parseLossConfig, pspsegLoss } from '../losses/index.js';
import type { TrainConfig } from './config.js';
import type { NetworkBuilder, TrainingLoss } from './interfaces.js';

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

const notWired = (what: string): never => {
  throw new Error(`${what} is not wired into the trainer yet (src/train/registry.ts); use --arch small --loss dice_ce`);
};

export function buildNetwork(config: TrainConfig): NetworkBuilder {
  switch (config.network.arch) {
    case 'small': return smallUNetBuilder(config);
    case 'psp': return notWired(`--arch psp (PSP-Seg ${config.network.variant ?? 'S'})`);
    case 'plain': return notWired('--arch plain');
  }
}

const DICE_CE = parseLossConfig({ kind: 'dcce' });

export function buildLoss(config: TrainConfig): TrainingLoss {
  switch (config.loss.name) {
    case 'dice_ce': return {
      termNames: ['seg'],
      compute: (out, _masked, targets) => {
        const { loss, terms } = pspsegLoss({ logits: out.logits, encoderFeatures: [], regionFeatures: null }, null, targets, DICE_CE);
        return { total: loss, terms: { seg: terms.seg } };
      },
    };
    case 'psp': return notWired('--loss psp (Dice+CE + TR + RL)');
  }
}
