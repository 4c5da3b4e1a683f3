/**
 * The trainer's pruning hooks (src/train/pruning_hooks.ts, the one adapter between the trainer and the
 * controller) end to end on the stand-in network: console lines, log records, calibration batches drawn
 * from the epoch's stream, checkpoint state, resume, pruning.svg and pruning_summary.json.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Batch } from '../src/data/sampling/loader.js';
import { SGD } from '../src/optim/index.js';
import { type EpochLosses, loadPruningSummary, parsePruningState, resolvePruningSettings, restorePrunedArchitecture } from '../src/pruning/index.js';
import { pruningHooks } from '../src/train/pruning_hooks.js';
import type { EpochStartOutcome } from '../src/train/trainer.js';
import type { EpochLog } from '../src/train/training_log.js';
import { StandInNet, seededBatches } from './pruning_standin.js';
import { logs } from './pruning_fakes.js';

const LOGS = logs([10, 9, 8, 7, 6, 6.5, 6.5, 6.5, 5.9, 5.8, 5.85, 5.85, 5.85, 5.85]);

/** The trainer's epoch logs carrying the losses pruning watches. */
const epochLogs = (ls: EpochLosses[]): EpochLog[] => ls.map((l) => ({
  epoch: l.epoch, lr: 0, trainLoss: l.loss, trainTerms: { seg: l.loss, tr: l.tr!, rl: l.rl! }, valLoss: 0, valTerms: {}, pseudoDice: [], meanPseudoDice: 0,
  ema: 0, best: false, epochSeconds: 0, trainSeconds: 0, valSeconds: 0, dataWaitSeconds: 0, peakRssMB: 0, numParameters: 0,
}));

/** An epoch's batch stream as the trainer hands it over, counting the streams opened and closed. */
function streams(seed: number) {
  const b = seededBatches(seed);
  let opened = 0, closed = 0;
  const batches = (n: number): AsyncIterable<Batch> => ({
    [Symbol.asyncIterator]: () => {
      opened++;
      let i = 0;
      return {
        next: async () => (i++ < n ? { done: false, value: (await b.draw()) as unknown as Batch } : { done: true, value: undefined }),
        return: async () => { closed++; return { done: true, value: undefined }; },
      };
    },
  });
  return { batches, counts: () => ({ ...b.counts(), opened, closed }) };
}

test('pruning hooks: console lines, jsonl records, checkpoint state, resume, pruning.svg and pruning_summary.json', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pspseg-hook-'));
  const net = new StandInNet(4, 5);
  const optimizer = new SGD(net.namedParameters(), { lr: 0.01, momentum: 0.99, nesterov: true });
  const lines: string[] = [];
  const settings = resolvePruningSettings({ window: 3, calibrationBatches: 4 }, 'S');
  const make = () => pruningHooks<StandInNet>({
    settings, totalEpochs: 100, outDir: dir, print: (l) => lines.push(l), quiet: true, unprunedParameters: () => { throw new Error('pruning is on'); },
  });
  const hooks = make();
  const stream = streams(7);
  const outcomes: (EpochStartOutcome | void)[] = [];
  for (let epoch = 0; epoch <= 13; epoch++)
    outcomes.push(await hooks.onEpochStart!({ epoch, logs: epochLogs(LOGS.slice(0, epoch)), network: net, optimizer, batches: stream.batches }));

  assert.deepEqual(stream.counts(), { drawn: 8, disposed: 8, opened: 2, closed: 2 }, 'N = 4 calibration batches at each of the two searches, streams closed');
  assert.deepEqual(outcomes.map((r, e) => [e, r?.records?.length ?? 0]).filter(([, n]) => n), [[8, 1], [13, 2]]);
  const rec = outcomes[8]!.records![0] as Record<string, unknown>;
  assert.equal(rec.type, 'pruning');
  assert.equal(rec.kind, 'masked');
  assert.equal(JSON.parse(JSON.stringify(rec)).blocks.length, 2, 'one block per PRM, JSON-safe');
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^pruning, at the start of epoch 9\/100: masked 2 block\(s\) \(s=1\): enc1\.b\d \(\d+x\d+x\d+\), dec1\.b\d \(\d+x\d+x\d+\); parameters /);
  assert.match(lines[1]!, /^pruning, at the start of epoch 14\/100: deleted 2 block\(s\): .*; parameters [\d,]+ -> [\d,]+/);
  const saved = JSON.parse(JSON.stringify(hooks.state!()));
  const state = parsePruningState(saved);
  assert.equal(state.events.length, 3);
  assert.equal(state.phase, 'trial');
  assert.match(readFileSync(join(dir, 'pruning.svg'), 'utf8'), /<svg/);

  await hooks.afterSave!({ epoch: 14, network: net, outDir: dir, final: true });
  const summary = loadPruningSummary(join(dir, 'pruning_summary.json'));
  assert.equal(summary.totalParameters, net.numParameters());
  assert.equal(summary.initialParameters, state.initialParameters);
  assert.deepEqual(summary.pruning.events, { masked: 2, deleted: 1, restored: 0 });
  assert.match(lines[3]!, /^final architecture \(pruning_summary\.json\):/);

  // Resume: a fresh network brought to the saved architecture, hooks continuing from the state.
  const net2 = new StandInNet(4, 5);
  restorePrunedArchitecture(net2, saved);
  assert.deepEqual(net2.prunableModules().map((m) => m.blocks().map((b) => b.state)), net.prunableModules().map((m) => m.blocks().map((b) => b.state)));
  const opt2 = new SGD(net2.namedParameters(), { lr: 0.01 });
  const resumed = make();
  resumed.restore!(saved, net2);
  await resumed.onEpochStart!({ epoch: 14, logs: epochLogs(LOGS), network: net2, optimizer: opt2, batches: stream.batches });
  const after = parsePruningState(resumed.state!());
  assert.equal(after.lastEpoch, 14);
  assert.equal(after.timeline.length, 15);
  await assert.rejects(async () => resumed.onEpochStart!({ epoch: 14, logs: [], network: net2, optimizer: opt2, batches: stream.batches }), /after epoch 14/);
  for (const o of [optimizer, opt2]) o.dispose();
  net.dispose(); net2.dispose();
});

test('pruning hooks with pruning off: no epoch-start hook, the summary against the unpruned architecture', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pspseg-hook-off-'));
  const net = new StandInNet(4, 5);
  const hooks = pruningHooks<StandInNet>({
    settings: resolvePruningSettings({ enabled: false }, 'S'), totalEpochs: 10, outDir: dir, print: () => undefined, unprunedParameters: (n) => n.numParameters() + 1000,
  });
  assert.equal(hooks.onEpochStart, undefined);
  assert.equal(hooks.state!(), null);
  await hooks.afterSave!({ epoch: 1, network: net, outDir: dir, final: false });
  const s = loadPruningSummary(join(dir, 'pruning_summary.json'));
  assert.deepEqual([s.pruning.enabled, s.pruning.stopReason, s.initialParameters - s.totalParameters], [false, 'disabled', 1000]);
  assert.ok(!existsSync(join(dir, 'pruning.svg')));
  net.dispose();
});
