/**
 * `pspseg train`'s one option table (src/train/options.ts): parsing and checking before anything loads,
 * the usage text's defaults, the settings the options make, and what a continued run accepts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { train } from '../src/cli/commands/train.js';
import { DEFAULT_RESAMPLING } from '../src/data/preprocess/resample.js';
import { PLAN_VERSION, type Plan } from '../src/data/plan/plan_schema.js';
import { DEFAULTS, type TrainConfig, trainConfigSchema } from '../src/train/config.js';
import { TRAIN_OPTIONS, type TrainOptions, applyTrainOptions, checkTrainOptions, continuedConfig } from '../src/train/options.js';

/** The options `pspseg train ARGS` gives (throws on bad usage). */
function given(argv: string[]): TrainOptions {
  const p = train.parse(['Hippocampus', ...argv]);
  if (p.help) throw new Error('help');
  return p.given;
}

/** A plan whose network axes are (z, x, y): network axis 0 is image axis z, 1 is x, 2 is y. */
function plan(): Plan {
  const intensity = { mean: 0, std: 1, median: 0, min: -1, max: 1, percentile_00_5: -1, percentile_99_5: 1 };
  return {
    version: PLAN_VERSION, dataset: { name: 'Toy', root: '/nowhere', numCases: 4 },
    labels: [{ name: 'background', value: 0 }, { name: 'a', value: 1 }, { name: 'b', value: 2 }],
    channels: [{ name: 'T1', scheme: 'zscore', useMask: false, intensity, foregroundPercentile005Normalized: -1 }],
    transposeForward: [0, 2, 1], transposeBackward: [0, 2, 1], targetSpacing: [3, 1, 1], medianSpacing: [3, 1, 1],
    medianShape: [20, 64, 48], medianRelativeSizeAfterCropping: 1, resampling: DEFAULT_RESAMPLING,
    foregroundSampling: { samplesPerClass: 100, minCoverage: 0.01, seed: 1 }, patchSize: [16, 48, 32], batchSize: 3, numPools: 4, voxelBudget: 1e6,
  };
}

/** Settings as a fresh run makes them (the fields no option sets filled in as the trainer does). */
function settings(o: TrainOptions): TrainConfig {
  const base = {
    version: 1 as const, name: 'x', fold: 0, splitSource: 's', trainCases: ['a'], valCases: ['b'],
    dataset: { name: 'Toy', workDir: '/w', preprocessedDir: '/w/p', planHash: 'h', inChannels: 1, classes: 3, labels: [{ name: 'a', value: 1 }], foregroundFill: [-1], maskedChannels: [] },
    polyExponent: 0.9, gradClip: 12, emaMomentum: 0.9, oversampleForeground: 0.33,
  };
  const c = applyTrainOptions(base, { given: o, plan: plan(), architecture: null }) as TrainConfig;
  const name = c.optimizer.name;
  return trainConfigSchema.parse({ ...c, optimizer: { ...DEFAULTS[name], ...c.optimizer }, loss: { ...c.loss } });
}

test('the options parse into what was given; --patch is per image axis x, y, z; one number is a cube', () => {
  const g = given(['--arch', 'psp', '--variant', 'B', '--fold', 'all', '--patch', '48,64,40', '--lr', '1e-3', '--optimizer', 'adamw',
    '--epochs', '5', '--val-iterations', '3', '--no-deep-supervision', '--continue', '--prune-monitor', 'tr,rl']);
  assert.deepEqual(g, {
    arch: 'psp', variant: 'B', fold: 'all', patch: [48, 64, 40], lr: 1e-3, optimizer: 'adamw', epochs: 5, 'val-iterations': 3,
    'no-deep-supervision': true, continue: true, 'prune-monitor': ['tr', 'rl'],
  });
  assert.deepEqual(given(['--patch', '32']), { patch: [32, 32, 32] }, 'defaults are not "given"');
});

test('bad values and contradictions are usage errors naming the options, before anything loads', () => {
  const bad: [string[], RegExp][] = [
    [['--fold', 'two'], /--fold must be a fold number or all, got 'two'/],
    [['--patch', '32,32'], /--patch must be X,Y,Z \(per image axis x, y, z\) or one integer for all three/],
    [['--arch', 'resnet'], /--arch must be one of psp, plain, small, got 'resnet'/],
    [['--variant', 'XL'], /--variant must be one of S, B, L/],
    [['--lr', '0'], /--lr must be a number > 0/],
    [['--prune-monitor', 'loss,dice'], /--prune-monitor must be a comma-separated list of loss, tr, rl, got 'loss,dice'/],
    [['--name', 'a/b'], /--name must be letters, digits/],
    [['--device', 'tpu'], /--device must be cpu, cuda or cuda:N/],
    [['--continue', '--force'], /--continue and --force exclude each other/],
    [['--arch', 'plain', '--variant', 'B'], /--variant applies to --arch psp only/],
    [['--architecture', 'a.json', '--variant', 'B'], /--variant and --architecture exclude each other/],
    [['--no-prune', '--prune-window', '3'], /--prune-window: pruning is off \(--no-prune\)/],
    [['--arch', 'plain', '--prune-delta', '0.1'], /--prune-delta: pruning is off \(--arch plain has no PRMs\)/],
    [['--loss', 'dice_ce', '--prune-monitor', 'tr'], /--prune-monitor watches tr, but --loss dice_ce computes no TR or RL/],
    [['--loss', 'dice_ce', '--prune-paper'], /--prune-paper watches tr, rl, but --loss dice_ce/],
    [['--continue', '--prune-paper'], /--prune-paper: a continued run keeps its settings/],
  ];
  for (const [args, re] of bad) assert.throws(() => given(args), re, args.join(' '));
  assert.doesNotThrow(() => checkTrainOptions({ continue: true, epochs: 3, workers: 2 }));
});

test('the usage text states every default from the table', () => {
  const u = train.usage;
  assert.match(u, /--epochs N +epochs \(default: 1000\)/);
  assert.match(u, /--arch psp\|plain\|small +.*\(default: psp, or the kind of --architecture\)/);
  assert.match(u, /--patch X,Y,Z +patch size per image axis x, y, z .*\(default: the plan's\)/);
  assert.match(u, /--prune-window W +pruning: convergence window in epochs \(default: 10\)/);
  assert.match(u, /--val-iterations N .*\(default: 50, or a fifth of --iterations when that is fewer/);
  for (const [flag, row] of Object.entries(TRAIN_OPTIONS))
    if (row.type !== 'boolean' && ('default' in row || 'defaultText' in row)) assert.match(u, new RegExp(`--${flag} .*\\(default: `), flag);
});

test('settings: given values go to their fields, the rest are defaults or derived, rows in order', () => {
  const d = settings({});
  assert.deepEqual([d.network.arch, d.network.variant, d.network.deepSupervision, d.loss.name, d.optimizer.name, d.optimizer.lr, d.epochs, d.iterations, d.valIterations],
    ['psp', 'S', true, 'psp', 'sgd', 1e-2, 1000, 250, 50]);
  assert.deepEqual([d.batchSize, d.patchSize], [3, [16, 48, 32]], "the plan's batch and patch (network order)");
  assert.deepEqual({ ...d.pruning }, { ...d.pruning, enabled: true, window: 10, delta: 0.001, initialStep: 1, calibrationBatches: 100, stopFraction: 0.4, monitored: ['loss', 'tr', 'rl'] });
  // the patch typed x, y, z becomes the network's (z, x, y)
  assert.deepEqual(settings({ patch: [48, 64, 16] }).patchSize, [16, 48, 64]);
  // derived from the rows above: lr from the optimizer, loss and pruning from the arch, the step from the variant
  assert.equal(settings({ optimizer: 'adamw' }).optimizer.lr, DEFAULTS.adamw.lr);
  const plain = settings({ arch: 'plain' });
  assert.deepEqual([plain.loss.name, plain.pruning.enabled, plain.network.variant, plain.pruning.monitored], ['dice_ce', false, null, ['loss']]);
  assert.deepEqual([settings({ arch: 'small' }).network.deepSupervision, settings({ variant: 'L' }).pruning.initialStep], [false, 2]);
  const paper = settings({ 'prune-paper': true, 'prune-delta': 0.05 });
  assert.deepEqual([paper.pruning.delta, paper.pruning.monitored], [0.05, ['tr', 'rl']], 'a given value beats the preset');
  // validation batches: a fifth of a short epoch, nnU-Net's 50 for a full one
  assert.deepEqual([settings({ iterations: 45 }).valIterations, settings({ iterations: 5 }).valIterations, settings({ iterations: 1000 }).valIterations], [9, 1, 50]);
  assert.equal(settings({ 'no-prune': true }).pruning.enabled, false);
  assert.deepEqual([settings({}).gradClip, settings({ 'grad-clip': 5 }).gradClip], [12, 5]);
  assert.equal(settings({ device: 'cuda:1', workers: 0 }).runtime.device, 'cuda:1');
});

test('a continued run takes only its runtime settings; any other setting must equal config.json', () => {
  const stored = settings({ epochs: 10, patch: [48, 64, 16] });
  const ctx = (o: TrainOptions) => ({ given: o, plan: plan(), architecture: null });
  const same = continuedConfig(stored, ctx({ continue: true, epochs: 10, patch: [48, 64, 16], workers: 2, device: 'cuda' }), '/f/config.json');
  assert.deepEqual(same.runtime, { device: 'cuda', workers: 2, precision: stored.runtime.precision, ranks: 1 }, 'the stored precision unless one is given');
  const moved = continuedConfig(stored, ctx({ continue: true, device: 'cuda', precision: 'auto' }), '/f/config.json');
  assert.equal(moved.runtime.precision, 'fp16', 'auto resolves on the device given now');
  assert.deepEqual({ ...same, runtime: stored.runtime }, stored);
  assert.throws(() => continuedConfig(stored, ctx({ epochs: 12 }), '/f/config.json'), /^Error: --epochs 12 differs from \/f\/config.json \(10\); a continued run keeps its settings$/);
  assert.throws(() => continuedConfig(stored, ctx({ patch: [32, 32, 32] }), '/f/config.json'), /--patch 32,32,32 differs from \/f\/config.json \(48,64,16\)/, 'shown per image axis');
  assert.throws(() => continuedConfig(stored, ctx({ 'no-prune': true }), '/f/config.json'), /--no-prune differs from \/f\/config.json \(pruning on\)/);
  assert.throws(() => continuedConfig(stored, ctx({ lr: 0.5 }), '/f/config.json'), /--lr 0.5 differs/);
});

test('every setting row names a field of config.json', () => {
  const full = settings({});
  for (const [flag, row] of Object.entries(TRAIN_OPTIONS)) {
    if (!('field' in row)) continue;
    const value = row.field.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)?.[k], full);
    assert.notEqual(value, undefined, `--${flag}: config.${row.field}`);
  }
});
