/**
 * Training in bf16 (`--precision bf16`: the forward passes under libtorch's autocast): PSP-Seg S with TR,
 * RL and pruning on real data (pruning_train.test.ts's small schedule) trains, its losses finite and
 * falling, pruning masks and deletes blocks as it does in fp32, and config.json and every epoch log
 * record the precision; fp16 without CUDA is refused before anything is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/train/config.js';
import { runTraining } from '../src/train/run.js';
import type { TrainOptions } from '../src/train/options.js';
import { hippocampusSubset } from './helpers/train_data.js';

const options: TrainOptions = {
  arch: 'psp', variant: 'S', patch: [32, 32, 32], batch: 2, epochs: 9, iterations: 2, 'val-iterations': 1, seed: 0, workers: 1, quiet: true,
  'prune-window': 2, 'prune-calibration-batches': 2, 'prune-stop-fraction': 1, 'prune-delta': 1, 'prune-monitor': ['tr'],
};

test('PSP-Seg S with TR, RL and pruning trains in bf16; the precision is recorded', async () => {
  const workDir = await hippocampusSubset(10);
  const lines: string[] = [];
  const r = await runTraining({ workDir, print: (l) => lines.push(l), options: { ...options, name: 'bf16', precision: 'bf16' } });
  const config = await loadConfig(join(r.outDir, 'config.json'));
  assert.equal(config.runtime.precision, 'bf16');
  for (const e of r.logs) {
    assert.equal(e.precision, 'bf16');
    for (const v of [e.trainLoss, e.valLoss, e.trainTerms.tr, e.trainTerms.rl]) assert.ok(Number.isFinite(v), `epoch ${e.epoch}: ${JSON.stringify(e.trainTerms)}`);
  }
  assert.ok(r.logs.at(-1)!.trainLoss < r.logs[0]!.trainLoss, `train loss ${r.logs[0]!.trainLoss} -> ${r.logs.at(-1)!.trainLoss}`);
  assert.ok(r.logs.at(-1)!.numParameters < r.logs[0]!.numParameters, `pruning deleted blocks: ${lines.filter((l) => /prun|mask|delet/i.test(l)).join(' | ')}`);
});

test('--precision fp16 on a CPU is refused before the fold folder is made', async () => {
  const workDir = await hippocampusSubset(10);
  await assert.rejects(runTraining({ workDir, print: () => {}, options: { ...options, epochs: 1, name: 'fp16', precision: 'fp16' } }), /fp16 needs CUDA/);
  assert.equal(existsSync(join(workDir, 'models', 'fp16')), false);
});
