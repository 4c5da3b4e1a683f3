/**
 * `pspseg train` killed with SIGKILL mid-run (after its first checkpoint), then `--continue`: the
 * log holds every epoch exactly once, and the final weights, optimiser state and log values equal
 * those of a run that was never interrupted (batches depend only on the seed and the epoch; CPU
 * libtorch is deterministic for a fixed thread count).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './helpers.js';
import { loadSafetensors } from '../src/tensor/index.js';
import { checkpointStateFile, checkpointWeightsFile } from '../src/models/model_folder.js';
import { type EpochLog, parseTrainingLog } from '../src/train/training_log.js';
import { hippocampusSubset } from './helpers/train_data.js';

const CLI = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const EPOCHS = 3;

function train(workDir: string, name: string, extra: string[] = [], onStart?: (kill: () => void) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  const args = [CLI, 'train', workDir, '--arch', 'small', '--fold', '0', '--epochs', String(EPOCHS), '--iterations', '6', '--val-iterations', '2',
    '--patch', '32', '--batch', '2', '--workers', '1', '--seed', '3', '--quiet', '--name', name, ...extra];
  const child = spawn(process.execPath, args, { env: { ...process.env, OMP_NUM_THREADS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  onStart?.(() => child.kill('SIGKILL'));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, output })));
}

const hex = (path: string): Map<string, string> => {
  const f = loadSafetensors(path);
  const out = new Map([...f.tensors].map(([k, t]) => [k, Buffer.from(t.toBytes()).toString('hex')]));
  for (const t of f.tensors.values()) t.dispose();
  return out;
};
/** Everything an epoch's log records but its timings and memory. */
const values = (e: EpochLog) => ({ epoch: e.epoch, lr: e.lr, trainLoss: e.trainLoss, trainTerms: e.trainTerms, valLoss: e.valLoss, pseudoDice: e.pseudoDice, ema: e.ema, best: e.best });

test('kill -9 after the first checkpoint, --continue: every epoch once, same result as an uninterrupted run', async () => {
  const workDir = await hippocampusSubset(10);
  const clean = await train(workDir, 'clean');
  assert.equal(clean.code, 0, clean.output);

  const dir = join(workDir, 'models', 'killed', 'fold_0');
  const killed = await train(workDir, 'killed', [], (kill) => {
    const poll = setInterval(() => {
      if (existsSync(checkpointStateFile(dir, 'latest'))) { clearInterval(poll); kill(); }
    }, 10);
  });
  assert.equal(killed.signal, 'SIGKILL', `the run was killed mid-way:\n${killed.output}`);
  const before = parseTrainingLog(readFileSync(join(dir, 'training_log.jsonl'), 'utf8'), 'log');
  assert.ok(before.length >= 1 && before.length < EPOCHS, `killed after ${before.length} epoch(s)`);

  const resumed = await train(workDir, 'killed', ['--continue']);
  assert.equal(resumed.code, 0, resumed.output);
  assert.match(resumed.output, /continuing from .*checkpoint_latest/);

  const cleanDir = join(workDir, 'models', 'clean', 'fold_0');
  const log = parseTrainingLog(readFileSync(join(dir, 'training_log.jsonl'), 'utf8'), 'log');
  assert.deepEqual(log.map((e) => e.epoch), [0, 1, 2], 'every epoch exactly once');
  const cleanLog = parseTrainingLog(readFileSync(join(cleanDir, 'training_log.jsonl'), 'utf8'), 'log');
  assert.deepEqual(log.map(values), cleanLog.map(values), 'same losses, pseudo Dice, EMA and lr per epoch');
  assert.deepEqual(hex(checkpointWeightsFile(dir, 'final')), hex(checkpointWeightsFile(cleanDir, 'final')), 'final weights bit-identical');
  assert.deepEqual(hex(checkpointStateFile(dir, 'final')), hex(checkpointStateFile(cleanDir, 'final')), 'final optimiser state bit-identical');
});
