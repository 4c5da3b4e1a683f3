/** The trainer hook adapter end to end on the stand-in network: events, records, checkpoint state, resume. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { SGD } from '../src/optim/index.js';
import { PruningTrainerHook, type EpochStartResult, parsePruningState, restorePrunedArchitecture } from '../src/pruning/index.js';
import { StandInNet, seededBatches } from './pruning_standin.js';
import { logs } from './pruning_fakes.js';

const LOGS = logs([10, 9, 8, 7, 6, 6.5, 6.5, 6.5, 5.9, 5.8, 5.85, 5.85, 5.85, 5.85]);

test('trainer hook: console lines, jsonl records, checkpoint state, architectureChanged, pruning.svg', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pspseg-hook-'));
  const net = new StandInNet(4, 5);
  const optimizer = new SGD(net.namedParameters(), { lr: 0.01, momentum: 0.99, nesterov: true });
  const lines: string[] = [];
  const ticks: number[] = [];
  const hook = new PruningTrainerHook({
    settings: { window: 3, calibrationBatches: 4 }, variant: 'S', totalEpochs: 100,
    log: (l) => lines.push(l), gridPath: join(dir, 'pruning.svg'),
    progress: (n) => ({ tick: () => ticks.push(n), finish: () => undefined }),
  });
  const batches = seededBatches(7);
  const results: EpochStartResult[] = [];
  for (let epoch = 0; epoch <= 13; epoch++)
    results.push(await hook.onEpochStart({ epoch, logs: LOGS, model: net, optimizer, drawCalibrationBatch: batches.draw }));

  assert.equal(batches.counts().drawn, 8, 'N = 4 calibration batches at each of the two searches');
  assert.equal(ticks.length, 8);
  assert.deepEqual(results.map((r, e) => [e, r.records.length, r.architectureChanged]).filter(([, n]) => n),
    [[8, 1, false], [13, 2, true]]);
  const rec = results[8]!.records[0] as Record<string, unknown>;
  assert.equal(rec.type, 'pruning');
  assert.equal(rec.kind, 'masked');
  assert.equal(JSON.parse(JSON.stringify(rec)).blocks.length, 2, 'one block per PRM, JSON-safe');
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^pruning, at the start of epoch 9: masked 2 block\(s\) \(s=1\): enc1\.b\d \(\d+x\d+x\d+\), dec1\.b\d \(\d+x\d+x\d+\); parameters /);
  assert.match(lines[1]!, /^pruning, at the start of epoch 14: deleted 2 block\(s\): .*; parameters [\d,]+ -> [\d,]+/);
  const state = parsePruningState(JSON.parse(JSON.stringify(results[13]!.state)));
  assert.equal(state.events.length, 3);
  assert.ok(existsSync(join(dir, 'pruning.svg')));
  assert.match(readFileSync(join(dir, 'pruning.svg'), 'utf8'), /<svg/);
  const summary = hook.summary(net);
  assert.equal(summary.totalParameters, net.numParameters());
  assert.equal(summary.initialParameters, state.initialParameters);
  assert.ok(summary.reduction > 0);

  // Resume: a fresh network brought to the saved architecture, and a hook continuing from the state.
  const net2 = new StandInNet(4, 5);
  restorePrunedArchitecture(net2, results[13]!.state);
  assert.deepEqual(net2.prunableModules().map((m) => m.blocks().map((b) => b.state)), net.prunableModules().map((m) => m.blocks().map((b) => b.state)));
  const opt2 = new SGD(net2.namedParameters(), { lr: 0.01 });
  const resumed = new PruningTrainerHook({ settings: { window: 3, calibrationBatches: 4 }, variant: 'S', totalEpochs: 100, resumeState: results[13]!.state, log: () => undefined });
  const r14 = await resumed.onEpochStart({ epoch: 14, logs: logs([...LOGS.map((l) => l.loss), 5.85]), model: net2, optimizer: opt2, drawCalibrationBatch: batches.draw });
  assert.equal(r14.state.lastEpoch, 14);
  assert.equal(r14.state.timeline.length, 15);
  await assert.rejects(resumed.onEpochStart({ epoch: 14, logs: LOGS, model: net2, optimizer: opt2, drawCalibrationBatch: batches.draw }), /after epoch 14/);
  for (const o of [optimizer, opt2]) o.dispose();
  net.dispose(); net2.dispose();
});
