/**
 * Checkpoint pairs: a bit-identical round trip of weights and optimiser state (SGD and AdamW), the
 * newest complete pair found after a save interrupted at each point, and damaged files named in errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, noGrad, randn, randint, tidy, type Tensor } from '../src/tensor/index.js';
import { AdamW, type Optimizer, SGD } from '../src/optim/index.js';
import { SmallUNet } from '../src/models/small_unet.js';
import { parseLossConfig, pspsegLoss } from '../src/losses/index.js';

const diceCeLoss = (logits: Tensor[], targets: Tensor[]): Tensor =>
  pspsegLoss({ logits, encoderFeatures: [], regionFeatures: null }, null, targets, parseLossConfig({ name: 'dice_ce' })).total;
import { loadWeights } from '../src/nn/weights.js';
import { type TrainerStateInput, disposeCheckpoint, loadCheckpoint, saveCheckpoint } from '../src/train/checkpoint.js';
import { checkpointStateFile, checkpointWeightsFile } from '../src/models/model_folder.js';
import type { EpochLog } from '../src/train/training_log.js';

/** Every checkpoint folder of this file lives in one temporary root, removed after the tests. */
const root = mkdtempSync(join(tmpdir(), 'pspseg-ckpt-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const tmp = () => mkdtempSync(join(root, 'c-'));
const bytesOf = (m: Map<string, Tensor>) => new Map([...m].map(([k, t]) => [k, Buffer.from(t.toBytes()).toString('hex')]));

function trained(opt: 'sgd' | 'adamw', steps: number): { net: SmallUNet; opt: Optimizer } {
  const net = new SmallUNet(1, 3, new Generator(1), [4, 8, 8]);
  const o = opt === 'sgd' ? new SGD(net.namedParameters(), { lr: 0.01, momentum: 0.99, nesterov: true, weightDecay: 3e-5 })
    : new AdamW(net.namedParameters(), { lr: 1e-3 });
  const g = new Generator(2);
  for (let i = 0; i < steps; i++) tidy(() => {
    o.zeroGrad();
    const x = randn([2, 1, 8, 8, 8], { generator: g });
    const y = randint(0, 3, [2, 1, 8, 8, 8], g);
    diceCeLoss(net.forward(x).logits, [y]).backward();
    o.step();
  });
  return { net, opt: o };
}

const state = (epoch: number): TrainerStateInput => ({
  epoch, configHash: 'abc', architecture: { kind: 'small-unet' }, logs: [], ema: 0.5, bestEma: 0.6,
  rng: { seed: 0, scheme: 'test' }, pruning: { masked: ['enc1.b0'] }, lossScale: { scale: 32768, growthTracker: 17, skipped: 2 },
});

for (const kind of ['sgd', 'adamw'] as const) {
  test(`checkpoint round trip (${kind}): weights and optimiser state bit-identical, trainer state intact`, () => {
    const dir = tmp();
    const a = trained(kind, 3);
    saveCheckpoint(dir, 'latest', a.net.stateDict(), a.opt, state(7));
    const c = loadCheckpoint(dir, 'latest')!;
    assert.equal(c.state.epoch, 7);
    assert.deepEqual(c.state.pruning, { masked: ['enc1.b0'] });
    assert.deepEqual(c.state.lossScale, { scale: 32768, growthTracker: 17, skipped: 2 });
    assert.equal(c.weightsPath, checkpointWeightsFile(dir, 'latest'));

    const b = trained(kind, 0); // same architecture, untouched weights, empty optimiser
    loadWeights(c.weightsPath, b.net);
    assert.deepEqual(bytesOf(b.net.stateDict()), bytesOf(a.net.stateDict()), 'weights');
    b.opt.importState(c.optimizerState, c.statePath);
    const sa = a.opt.exportState(), sb = b.opt.exportState();
    assert.ok(sa.tensors.size > 0);
    assert.deepEqual(bytesOf(sb.tensors), bytesOf(sa.tensors), 'optimiser state tensors');
    assert.deepEqual(sb.metadata, sa.metadata, 'optimiser counters, lr, step');
    a.net.dispose(); a.opt.dispose(); b.net.dispose(); b.opt.dispose();
  });
}

test('an interrupted save leaves a complete checkpoint: the newest pair whose weights match their state', () => {
  const a = trained('sgd', 1);
  const older = tmp(), newer = tmp();
  saveCheckpoint(older, 'latest', a.net.stateDict(), a.opt, state(1));
  noGrad(() => tidy(() => { a.net.parameters()[0]!.add_(1); })); // epoch 2's weights differ
  saveCheckpoint(newer, 'latest', a.net.stateDict(), a.opt, state(2));
  const W = (d: string) => checkpointWeightsFile(d, 'latest'), S = (d: string) => checkpointStateFile(d, 'latest');
  const scenario = (files: [string, string][]) => {
    const d = tmp();
    for (const [from, to] of files) copyFileSync(from, join(d, to));
    const c = loadCheckpoint(d, 'latest')!;
    disposeCheckpoint(c);
    return c.state.epoch;
  };
  const w = 'checkpoint_latest.safetensors', s = 'checkpoint_latest.state.safetensors';
  // killed after writing both .next files, before any rename: the .next pair is complete and newer
  assert.equal(scenario([[W(older), w], [S(older), s], [W(newer), `${w}.next`], [S(newer), `${s}.next`]]), 2);
  // killed between the renames: new weights, old state, new state still under .next
  assert.equal(scenario([[W(newer), w], [S(older), s], [S(newer), `${s}.next`]]), 2);
  // killed after writing the weights only: the committed pair
  assert.equal(scenario([[W(older), w], [S(older), s], [W(newer), `${w}.next`]]), 1);
  // the very first save, killed between the renames
  assert.equal(scenario([[W(newer), w], [S(newer), `${s}.next`]]), 2);
  a.net.dispose(); a.opt.dispose();
});

test('a truncated, corrupt or half-missing checkpoint is an error naming the file', () => {
  const a = trained('sgd', 1);
  const good = tmp();
  saveCheckpoint(good, 'best', a.net.stateDict(), a.opt, state(3));
  const copy = () => {
    const d = tmp();
    copyFileSync(checkpointWeightsFile(good, 'best'), checkpointWeightsFile(d, 'best'));
    copyFileSync(checkpointStateFile(good, 'best'), checkpointStateFile(d, 'best'));
    return d;
  };
  const expectError = (d: string, file: string, re: RegExp) =>
    assert.throws(() => loadCheckpoint(d, 'best'), (err: Error) => err instanceof Error && err.message.includes(file) && re.test(err.message), `${file} ${re}`);

  const truncated = copy();
  truncateSync(checkpointWeightsFile(truncated, 'best'), 1000);
  expectError(truncated, checkpointWeightsFile(truncated, 'best'), /1000 bytes that do not match .*interrupted save or a damaged file/);

  const flipped = copy();
  const bytes = readFileSync(checkpointWeightsFile(flipped, 'best'));
  bytes[bytes.length - 5] ^= 0xff; // same size, other content
  writeFileSync(checkpointWeightsFile(flipped, 'best'), bytes);
  expectError(flipped, checkpointWeightsFile(flipped, 'best'), /do not match/);

  const corrupt = copy();
  writeFileSync(checkpointStateFile(corrupt, 'best'), Buffer.from('not a safetensors file at all, just text'));
  expectError(corrupt, checkpointStateFile(corrupt, 'best'), /header length|not valid JSON|too short/);

  const halfMissing = tmp();
  copyFileSync(checkpointWeightsFile(good, 'best'), checkpointWeightsFile(halfMissing, 'best'));
  expectError(halfMissing, checkpointStateFile(halfMissing, 'best'), /missing/);

  assert.equal(loadCheckpoint(tmp(), 'best'), null, 'no checkpoint at all is not an error');
  a.net.dispose(); a.opt.dispose();
});

test('a state with NaN (a class absent from every validation patch) is written and read back as NaN', () => {
  const dir = tmp();
  const a = trained('sgd', 1);
  const log: EpochLog = {
    epoch: 0, lr: 0.01, trainLoss: 1, trainTerms: { seg: 1 }, valLoss: 1, valTerms: { seg: 1 }, pseudoDice: [0.5, NaN], meanPseudoDice: 0.5,
    ema: 0.5, best: true, epochSeconds: 1, trainSeconds: 1, valSeconds: 0, dataWaitSeconds: 0, peakRssMB: 1, numParameters: 1,
  };
  saveCheckpoint(dir, 'latest', a.net.stateDict(), a.opt, { ...state(1), logs: [log] });
  const c = loadCheckpoint(dir, 'latest')!;
  assert.ok(Number.isNaN(c.state.logs[0]!.pseudoDice[1]!));
  assert.equal(c.state.logs[0]!.pseudoDice[0], 0.5);
  disposeCheckpoint(c);
  a.net.dispose(); a.opt.dispose();
});
