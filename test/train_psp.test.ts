/**
 * `pspseg train` with the real networks besides pruning itself (pruning_train.test.ts): PlainUNet
 * with nnU-Net's topology trains on hippocampus; PSP-Seg L asks the loader for five deep-supervision
 * targets; --architecture trains a given (pruned) architecture from scratch with pruning off;
 * --pretrained loads what fits and says what it skipped; the new options parse, and contradicting
 * ones are errors naming the options.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, type Tensor, loadSafetensors, noGrad, randn, tidy } from '../src/tensor/index.js';
import { saveWeights } from '../src/nn/index.js';
import { type BlockState, type PSPSegNet, buildNetwork as buildModel, loadArchitecture, pspArchitecture, saveArchitecture } from '../src/models/index.js';
import { loadPruningSummary } from '../src/pruning/index.js';
import { trainConfigSchema } from '../src/train/config.js';
import { buildNetwork } from '../src/train/registry.js';
import { loadPretrained } from '../src/train/pretrained.js';
import type { TrainOptions } from '../src/train/options.js';
import { runTraining } from '../src/train/run.js';
import type { EpochStartContext } from '../src/train/trainer.js';
import { hippocampusSubset } from './helpers/train_data.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'pspseg-train-psp-'));
const quick = { patch: [32, 32, 32], batch: 2, epochs: 1, iterations: 2, 'val-iterations': 1, workers: 1, quiet: true } satisfies TrainOptions;
const same = (a: Tensor, b: Tensor) => tidy(() => a.shape.join() === b.shape.join() && a.ne(b).sum().item() === 0);

test('PlainUNet with nnU-Net topology for the plan trains on hippocampus (Dice+CE, deep supervision, no pruning)', async () => {
  const workDir = await hippocampusSubset(10);
  const r = await runTraining({ workDir, print: () => {}, options: { ...quick, arch: 'plain' } });
  const a = r.config.network.architecture as { kind: string; strides: number[][]; channels: number[] };
  // 32^3 at 1 mm: pooled while a side is >= 8, so three times; features 32 doubling.
  assert.equal(a.kind, 'plain');
  assert.deepEqual(a.strides, [[1, 1, 1], [2, 2, 2], [2, 2, 2], [2, 2, 2]]);
  assert.deepEqual(a.channels, [32, 64, 128, 256]);
  assert.equal(r.config.loss.name, 'dice_ce');
  assert.equal(r.config.pruning.enabled, false);
  assert.deepEqual(Object.keys(r.logs[0]!.trainTerms), ['seg']);
  assert.ok(Number.isFinite(r.logs[0]!.trainLoss) && Number.isFinite(r.logs[0]!.valLoss));
  const built = buildModel(loadArchitecture(r.outDir));
  assert.equal(r.numParameters, built.numParameters());
  built.dispose();
  assert.ok(!existsSync(join(r.outDir, 'pruning.svg')) && !existsSync(join(r.outDir, 'pruning_summary.json')));
  // A patch nnU-Net's topology cannot take is an error that says what would fit.
  await assert.rejects(runTraining({ workDir, print: () => {}, options: { ...quick, arch: 'plain', patch: [36, 32, 32], name: 'plain36' } }), /--arch plain: patch 36 x 32 x 32 \(x, y, z\) is not divisible by 8 x 8 x 8.*use --patch 40,32,32/);
});

test('PSP-Seg deep-supervision scales: S four outputs, L five', () => {
  const config = (variant: 'S' | 'L') => trainConfigSchema.parse({
    version: 1, name: 'x', dataset: { name: 'd', workDir: '/w', preprocessedDir: '/w/p', planHash: 'h', inChannels: 1, classes: 3, labels: [{ name: 'a', value: 1 }], foregroundFill: [-1], maskedChannels: [] },
    fold: 0, splitSource: 's', trainCases: ['a'], valCases: ['b'], network: { arch: 'psp', variant, deepSupervision: true }, loss: { name: 'psp', lambdaTR: 0.1, lambdaRL: 0.1 },
    optimizer: { name: 'sgd', lr: 0.01, momentum: 0.99, nesterov: true, weightDecay: 3e-5 }, epochs: 1, iterations: 1, valIterations: 1, batchSize: 1,
    patchSize: [32, 32, 32], polyExponent: 0.9, gradClip: 12, emaMomentum: 0.9, oversampleForeground: 0.33, seed: 0, runtime: { device: 'cpu', workers: null },
  });
  for (const [variant, n] of [['S', 4], ['L', 5]] as const) {
    const b = buildNetwork(config(variant));
    const net = b.create(0) as unknown as PSPSegNet;
    assert.deepEqual(b.outputScales(net), Array.from({ length: n }, (_, i) => [2 ** -i, 2 ** -i, 2 ** -i]));
    noGrad(() => tidy(() => {
      const out = net.forward(randn([1, 1, 32, 32, 32], { generator: new Generator(1) }));
      assert.deepEqual(out.logits.map((l) => l.shape[2]), Array.from({ length: n }, (_, i) => 32 * 2 ** -i), 'one logits map per scale');
    }));
    assert.equal(b.patchMultiple, variant === 'L' ? 32 : 16);
    net.dispose();
  }
});

test('--architecture trains a pruned architecture from scratch, pruning off; masked blocks are left out', async () => {
  const workDir = await hippocampusSubset(10);
  const dir = tmp();
  const file = join(dir, 'pruned.json');
  const blocks = { enc1: ['active', 'deleted', 'active', 'active'], enc4: ['deleted', 'masked', 'active', 'deleted'], dec1: ['active', 'active', 'active', 'deleted'] } as const;
  const given = { ...pspArchitecture({ variant: 'S', inChannels: 1, classes: 3 }), blocks: Object.fromEntries(Object.entries(blocks).map(([k, v]) => [k, [...v]])) as Record<string, BlockState[]> };
  saveArchitecture(file, given);
  const lines: string[] = [];
  const r = await runTraining({ workDir, print: (l) => lines.push(l), options: { ...quick, architecture: file } });
  assert.match(r.outDir, /models[/\\]psp_S_scratch[/\\]fold_0$/);
  assert.equal(r.config.pruning.enabled, false);
  assert.ok(lines.some((l) => l.includes('its 1 masked block(s) are left out')));
  const compact = { ...given, blocks: { ...given.blocks, enc4: ['deleted', 'deleted', 'active', 'deleted'] as BlockState[] } };
  const arch = loadArchitecture(r.outDir);
  assert.deepEqual(arch.kind === 'psp' && arch.blocks, { ...Object.fromEntries(['enc2', 'enc3', 'dec3', 'dec2'].map((k) => [k, ['active', 'active', 'active', 'active']])), ...compact.blocks });
  const [built, full] = [buildModel(compact), buildModel(pspArchitecture({ variant: 'S', inChannels: 1, classes: 3 }))];
  assert.equal(r.numParameters, built.numParameters());
  const summary = loadPruningSummary(join(r.outDir, 'pruning_summary.json'));
  assert.equal(summary.pruning.enabled, false);
  assert.equal(summary.initialParameters, full.numParameters());
  assert.ok(Math.abs(summary.reduction - (1 - built.numParameters() / full.numParameters())) < 1e-12);
  built.dispose(); full.dispose();
  assert.ok(!existsSync(join(r.outDir, 'pruning.svg')), 'no pruning, no grid');

  await assert.rejects(runTraining({ workDir, print: () => {}, options: { ...quick, architecture: file, 'prune-window': 3, force: true } }), /--prune-window: pruning is off \(--architecture/);
  await assert.rejects(runTraining({ workDir, print: () => {}, options: { ...quick, architecture: file, variant: 'B', force: true } }), /--variant and --architecture exclude each other/);
  const wrong = join(dir, 'two_classes.json');
  saveArchitecture(wrong, pspArchitecture({ variant: 'S', inChannels: 1, classes: 2 }));
  await assert.rejects(runTraining({ workDir, print: () => {}, options: { ...quick, architecture: wrong, name: 'wrong' } }), (e: Error) => e.message.startsWith(`--architecture ${wrong}: `) && /2 classes, the dataset 1 and 3/.test(e.message));
});

test('--pretrained loads the tensors that fit, skips the stem and heads of another dataset, and says so', async () => {
  const dir = tmp();
  // A pre-trained PSP-Seg S for 2 channels and 5 classes, one block pruned away.
  const source = buildModel(pspArchitecture({ variant: 'S', inChannels: 2, classes: 5 }), { generator: new Generator(11) }) as PSPSegNet;
  source.prunableModules()[0]!.deleteBlock(3);
  const file = join(dir, 'pretrained.safetensors');
  saveWeights(file, source);
  source.dispose();
  const f = loadSafetensors(file);

  const target = buildModel(pspArchitecture({ variant: 'S', inChannels: 1, classes: 3 }), { generator: new Generator(12) }) as PSPSegNet;
  const init = new Map([...target.stateDict()].map(([k, t]) => [k, t.clone().keep()]));
  const report = loadPretrained(target, file);
  const heads = ['head', 'head1', 'head2', 'head3'].flatMap((h) => [`${h}.weight`, `${h}.bias`]);
  assert.deepEqual(report.shapeMismatch.map(([n]) => n).sort(), ['stem.weight', ...heads].sort());
  assert.deepEqual(report.missing.sort(), ['enc1.b3.conv.bias', 'enc1.b3.conv.weight', 'enc1.b3.reduce.bias', 'enc1.b3.reduce.weight', 'enc1.b3.scale']);
  assert.deepEqual(report.unused, []);
  for (const [name, t] of target.stateDict()) {
    const loaded = report.loaded.includes(name);
    assert.ok(same(t, loaded ? f.tensors.get(name)! : init.get(name)!), `${name} ${loaded ? 'from the file' : 'as initialised'}`);
  }
  assert.equal(report.loaded.length + report.shapeMismatch.length + report.missing.length, init.size);
  for (const t of [...init.values(), ...f.tensors.values()]) t.dispose();
  target.dispose();

  // Through pspseg train: the report is printed and the network starts from the file's values.
  const workDir = await hippocampusSubset(10);
  const lines: string[] = [];
  let startMatches = false;
  const hooks = {
    onEpochStart: (ctx: EpochStartContext) => {
      const w = loadSafetensors(file);
      const own = ctx.network.stateDict();
      startMatches = ['enc2.b1.conv.weight', 'down1.conv1.weight', 'stem.bias'].every((n) => same(own.get(n)!, w.tensors.get(n)!));
      for (const t of w.tensors.values()) t.dispose();
    },
  };
  await runTraining({ workDir, hooks, print: (l) => lines.push(l), options: { ...quick, pretrained: file, 'no-prune': true, iterations: 1 } });
  assert.ok(startMatches, 'the first epoch starts from the pre-trained tensors');
  assert.ok(lines.some((l) => l === `pretrained ${file}: loaded ${report.loaded.length} tensor(s)`), lines.join('\n'));
  assert.ok(lines.some((l) => /skipped \(shape differs, kept initial\): stem\.weight \[16,2,1,1,1\] vs \[16,1,1,1,1\]/.test(l)));
  assert.ok(lines.some((l) => l.startsWith('  not in the file (kept initial): enc1.b3.')));
});

test('options that need the data: bad values reach the settings check, named by their option; the paper preset', async () => {
  const workDir = await hippocampusSubset(10);
  const bad: [TrainOptions, RegExp][] = [
    [{ 'no-prune': true, 'prune-window': 3 }, /--prune-window: pruning is off \(--no-prune\)/],
    [{ 'prune-stop-fraction': 2 }, /--prune-stop-fraction: Number must be less than or equal to 1/],
    [{ 'lambda-tr': -1 }, /--lambda-tr: .*greater than or equal to 0/],
    [{ patch: [40, 32, 32] }, /patch 40 x 32 x 32 \(x, y, z\): its x size 40 must be a multiple of 16 for --arch psp$/],
  ];
  for (const [o, re] of bad) await assert.rejects(runTraining({ workDir, print: () => {}, options: { ...quick, name: 'bad', ...o } }), re, JSON.stringify(o));
  // defaults: PSP-Seg prunes with the authors' constants; the paper's on request
  const d = await runTraining({ workDir, print: () => {}, options: { ...quick, name: 'defaults', epochs: 1, iterations: 1, 'prune-paper': true, 'prune-calibration-batches': 1 } });
  assert.deepEqual({ ...d.config.pruning }, { ...d.config.pruning, enabled: true, window: 10, delta: 0.01, initialStep: 1, stopFraction: 0.4, monitored: ['tr', 'rl'], calibrationBatches: 1 });
});

test('a training step that would not fit in memory is refused before anything is written, naming the patch, batch and remedies', async () => {
  const workDir = await hippocampusSubset(10);
  const prev = process.env.PSPSEG_MEMORY;
  process.env.PSPSEG_MEMORY = '200M';
  try {
    // PSP-Seg S at 96^3, batch 4: activations alone are several GB (pspseg model --patch 96 --batch 4)
    await assert.rejects(runTraining({ workDir, print: () => {}, options: { ...quick, patch: [96, 96, 96], batch: 4, name: 'too_big' } }),
      (e: Error) => /patch 96 x 96 x 96 \(x, y, z\), batch 4/.test(e.message) && /smaller patch/.test(e.message) && /smaller batch/.test(e.message));
    assert.ok(!existsSync(join(workDir, 'models', 'too_big', 'fold_0', 'config.json')));
  } finally {
    if (prev === undefined) delete process.env.PSPSEG_MEMORY; else process.env.PSPSEG_MEMORY = prev;
  }
});
