/**
 * `pspseg train` prunes PSP-Seg while it trains, on real data (a 10-case hippocampus subset, patch
 * 32^3, two iterations per epoch). Pruning's constants are scaled down (window 2, 2 calibration
 * batches, no stop before the end, delta 1 so that nothing counts as over-pruned) and it watches TR
 * only: at this size TR is noisy from epoch to epoch, so it "converges" within a few epochs, and
 * masking and deleting events happen in nine epochs (seed 0).
 *
 * Checked: the events (console lines, training_log.jsonl records before their epoch's line, the
 * parameter counts of the epoch logs), pruning.svg, architecture.json and pruning_summary.json
 * against a separately built unpruned network; the network rebuilt from architecture.json with the
 * final weights reproduces the last epoch's validation loss on the same batches; `pspseg model
 * --from` prints the summary; a run interrupted between a masking and a deletion and continued
 * gives the same events, logs and final weights as the uninterrupted run. (The interrupted run is a
 * copy of the run's folder taken after the first epoch that ended with blocks masked: what a run
 * killed right after that epoch's checkpoint leaves; this saves training its first epochs twice.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import { LOCK_FILE } from '../src/util/folder_lock.js';
import { basename, join } from 'node:path';
import { autocast, loadSafetensors, noGrad, tidy } from '../src/tensor/index.js';
import { asFloat32, float32Output } from '../src/nn/network_output.js';
import { buildNetwork as buildModel, loadArchitecture, pspArchitecture } from '../src/models/index.js';
import { loadPruningSummary, parsePruningState, type PruningEvent } from '../src/pruning/index.js';
import { BatchLoader } from '../src/data/sampling/loader.js';
import { mixSeed } from '../src/util/random.js';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { checkpointWeightsFile } from '../src/models/model_folder.js';
import { buildLoss, buildNetwork } from '../src/train/registry.js';
import { loadCases, openPreprocessed } from '../src/train/preprocessed.js';
import { type EpochLog, parseLogRecords, parseTrainingLog } from '../src/train/training_log.js';
import { type RunResult, type TrainRun, runTraining } from '../src/train/run.js';
import { model } from '../src/cli/commands/model.js';
import { hippocampusSubset } from './helpers/train_data.js';

const EPOCHS = 9;
const request = (workDir: string, name: string, lines: string[], o: { continue?: boolean } = {}): TrainRun => ({
  workDir, print: (l) => lines.push(l),
  options: {
    arch: 'psp', variant: 'S', patch: [32, 32, 32], batch: 2, epochs: EPOCHS, iterations: 2, 'val-iterations': 1, seed: 0, workers: 1, quiet: true, name,
    'prune-window': 2, 'prune-calibration-batches': 2, 'prune-stop-fraction': 1, 'prune-delta': 1, 'prune-monitor': ['tr'], ...o,
  },
});

const readLog = (dir: string) => readFileSync(join(dir, 'training_log.jsonl'), 'utf8');
const events = (dir: string) => parseLogRecords(readLog(dir), 'log', 'pruning') as unknown as ({ type: 'pruning' } & PruningEvent)[];
/** An event without what depends on the machine's speed. */
const timeless = (e: PruningEvent) => ({ ...e, calibration: e.calibration && { ...e.calibration, seconds: 0 } });
const values = (e: EpochLog) => ({ epoch: e.epoch, lr: e.lr, trainLoss: e.trainLoss, trainTerms: e.trainTerms, valLoss: e.valLoss, pseudoDice: e.pseudoDice, numParameters: e.numParameters });
const hex = (path: string): Map<string, string> => {
  const f = loadSafetensors(path);
  const out = new Map([...f.tensors].map(([k, t]) => [k, Buffer.from(t.toBytes()).toString('hex')]));
  for (const t of f.tensors.values()) t.dispose();
  return out;
};

interface PrunedRun { r: RunResult; lines: string[]; snapshot: { dir: string; epochs: number } | null }
let uninterrupted: Promise<PrunedRun> | null = null;
function prunedRun(): Promise<PrunedRun> {
  return uninterrupted ??= (async () => {
    const workDir = await hippocampusSubset(10);
    const lines: string[] = [];
    const dir = join(workDir, 'models', 'pruned', 'fold_0');
    let snapshot: PrunedRun['snapshot'] = null;
    const onEpochEnd = (e: EpochLog) => {
      if (snapshot) return;
      const last = events(dir).pop();
      if (last?.kind !== 'masked') return;
      snapshot = { dir: join(workDir, 'models', 'interrupted', 'fold_0'), epochs: e.epoch + 1 };
      // without the run's folder lock: the killed run this copy stands for would have left a stale one, which is taken over
      cpSync(dir, snapshot.dir, { recursive: true, filter: (src) => basename(src) !== LOCK_FILE });
    };
    const r = await runTraining({ ...request(workDir, 'pruned', lines), onEpochEnd });
    return { r, lines, snapshot };
  })();
}

test('a short PSP-Seg S run on hippocampus masks and deletes blocks, logs every event and writes the pruned architecture', async () => {
  const { r, lines } = await prunedRun();
  const dir = r.outDir;
  assert.equal(r.config.pruning.enabled, true);
  assert.equal(r.config.loss.name, 'psp');
  const ev = events(dir);
  const masked = ev.filter((e) => e.kind === 'masked'), deleted = ev.filter((e) => e.kind === 'deleted');
  assert.ok(masked.length >= 1 && deleted.length >= 1, `events: ${ev.map((e) => `${e.epoch} ${e.kind}`).join(', ')}`);
  // S has seven PRMs of four blocks; step 1 masks one block in each.
  for (const m of masked) assert.equal(m.blocks.length, 7);
  // A deletion removes the blocks masked at the event before it.
  const firstDelete = deleted[0]!;
  const before = ev[ev.indexOf(firstDelete) - 1]!;
  assert.equal(before.kind, 'masked');
  assert.deepEqual(firstDelete.blocks, before.blocks);

  // Console: one line per event, epochs counted like the trainer's lines.
  const eventLines = lines.filter((l) => l.startsWith('pruning, '));
  assert.equal(eventLines.length, ev.length);
  assert.match(eventLines[ev.indexOf(firstDelete)]!, new RegExp(`^pruning, at the start of epoch ${firstDelete.epoch + 1}/${EPOCHS}: deleted 7 block\\(s\\): enc1\\.b\\d \\(\\dx\\dx\\d\\).*; parameters [\\d,]+ -> [\\d,]+$`));

  // training_log.jsonl: each record just before its epoch's line; the epoch logs count the parameters after the event.
  const raw = readLog(dir).trim().split('\n').map((l) => JSON.parse(l) as { type?: string; epoch: number; numParameters?: number });
  raw.forEach((rec, i) => { if (rec.type) assert.equal(raw.slice(i).find((x) => !x.type)!.epoch, rec.epoch, 'a record precedes its epoch'); });
  const logs = parseTrainingLog(readLog(dir), 'log');
  assert.deepEqual(logs.map((e) => e.epoch), [...Array(EPOCHS).keys()]);
  assert.equal(logs[firstDelete.epoch]!.numParameters, firstDelete.parametersAfter);
  assert.equal(logs[firstDelete.epoch - 1]!.numParameters, firstDelete.parametersBefore);
  assert.ok(firstDelete.parametersAfter < firstDelete.parametersBefore);

  // The unpruned network, built apart: its count is where pruning started.
  const unpruned = buildModel(pspArchitecture({ variant: 'S', inChannels: 1, classes: 3, deepSupervision: true }));
  const initial = unpruned.numParameters();
  unpruned.dispose();
  assert.equal(logs[0]!.numParameters, initial);

  const arch = loadArchitecture(dir);
  assert.ok(arch.kind === 'psp');
  for (const e of deleted) for (const b of e.blocks) assert.equal(arch.blocks[b.module]![b.block], 'deleted', `${b.module}.b${b.block}`);
  const summary = loadPruningSummary(join(dir, 'pruning_summary.json'));
  assert.equal(summary.totalParameters, r.numParameters);
  assert.equal(summary.initialParameters, initial);
  assert.ok(Math.abs(summary.reduction - (1 - r.numParameters / initial)) < 1e-12 && summary.reduction > 0);
  assert.deepEqual(summary.modules.map((m) => m.name), ['enc1', 'enc2', 'enc3', 'enc4', 'dec3', 'dec2', 'dec1']);
  for (const m of summary.modules) assert.deepEqual(m.surviving, arch.blocks[m.name]!.flatMap((s, j) => (s === 'active' ? [j] : [])));
  assert.deepEqual(summary.pruning.events, { masked: masked.length, deleted: deleted.length, restored: 0 });
  assert.ok(lines.some((l) => l.startsWith('final architecture (pruning_summary.json):')));

  const svg = readFileSync(join(dir, 'pruning.svg'), 'utf8');
  assert.match(svg, /^<svg[\s\S]*<\/svg>\s*$/);
  for (const m of summary.modules) assert.ok(svg.includes(m.name), `the grid labels ${m.name}`);
  // The checkpoint's pruning slot: the controller's state, its timeline one row per epoch.
  const ck = loadCheckpoint(dir, 'final')!;
  const state = parsePruningState(ck.state.pruning);
  for (const t of ck.optimizerState.tensors.values()) t.dispose();
  assert.equal(state.timeline.length, EPOCHS);
  assert.equal(state.events.length, ev.length);
});

test('the network rebuilt from architecture.json and checkpoint_final reproduces the last validation loss', async () => {
  const { r } = await prunedRun();
  const c = r.config;
  const builder = buildNetwork(c);
  const net = builder.restore(loadArchitecture(r.outDir), 'architecture.json');
  const weights = loadSafetensors(checkpointWeightsFile(r.outDir, 'final'));
  net.loadStateDict(weights.tensors); // strict: every name and shape
  for (const t of weights.tensors.values()) t.dispose();
  net.eval();
  const loss = buildLoss(c);
  const d = await openPreprocessed(c.dataset.workDir);
  const cases = await loadCases(d, c.valCases);
  const last = c.epochs - 1;
  const loader = new BatchLoader({
    cases: c.valCases.map((id) => cases.get(id)!), patchSize: c.patchSize, batchSize: c.batchSize, oversampleForeground: c.oversampleForeground,
    deepSupervisionScales: builder.outputScales(net), maskedChannels: c.dataset.maskedChannels, workers: 0,
    seed: mixSeed(c.seed, last, 2), numBatches: c.valIterations, augment: false,
  });
  const totals: number[] = [];
  for await (const b of loader) {
    totals.push(noGrad(() => tidy(() => {
      // in the run's precision, as the trainer's validation ran (`auto` may have picked bf16)
      const { out, masked } = autocast(c.runtime.precision, 'cpu', () => ({
        out: float32Output(net.forward(b.image)),
        masked: net.encode(loss.maskInput!(b.image, b.target[0]!)).map(asFloat32),
      }));
      return loss.compute(out, masked, b.target).total.item();
    })));
    b.dispose();
  }
  net.dispose();
  const logged = r.logs[last]!.valLoss;
  const mean = totals.reduce((a, b) => a + b, 0) / totals.length;
  assert.ok(Math.abs(mean - logged) <= 1e-6 * Math.abs(logged), `validation loss ${mean} vs logged ${logged}`);
});

test('pspseg model --from the fold folder prints the pruned architecture, its summary, and the patch and batch it trained with', async () => {
  const { r } = await prunedRun();
  const out: string[] = [];
  const { log } = console;
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  let code: number;
  try { code = await model.run(['--from', r.outDir, '--json']); } finally { console.log = log; }
  assert.equal(code, 0);
  const text = out.join('\n');
  assert.match(text, /^patch 32 x 32 x 32 \(x, y, z\), batch 2;/m, "the fold's patch and batch, not 128^3");
  assert.match(text, /PRM blocks \(pruning_summary\.json; pruned over 9 epochs: \d+ masking, \d+ deletion, 0 restoring event\(s\)/);
  assert.match(text, /total parameters [\d,]+ \(unpruned [\d,]+, \d+\.\d% fewer\)/);
  const json = JSON.parse(out[out.length - 1]!) as { params: number; pruning: { totalParameters: number } };
  assert.equal(json.params, r.numParameters);
  assert.equal(json.pruning.totalParameters, r.numParameters);
});

test('--continue in the middle of pruning: the same events, logs and final weights as the uninterrupted run', async () => {
  const { r: clean, snapshot } = await prunedRun();
  const ev = events(clean.outDir);
  const mask = ev.find((e) => e.kind === 'masked')!, del = ev.find((e) => e.kind === 'deleted')!;
  assert.ok(snapshot && snapshot.epochs <= del.epoch, `masked at ${mask.epoch}, deleted at ${del.epoch}, interrupted after ${snapshot?.epochs} epochs`);
  const ck = loadCheckpoint(snapshot.dir, 'latest')!;
  for (const t of ck.optimizerState.tensors.values()) t.dispose();
  assert.equal(ck.state.epoch, snapshot.epochs);
  assert.deepEqual(parsePruningState(ck.state.pruning).masked, mask.blocks.map(({ module, block }) => ({ module, block })), 'the checkpoint holds blocks masked, not deleted');
  assert.ok(loadArchitecture(snapshot.dir).kind === 'psp');

  const lines: string[] = [];
  const resumed = await runTraining(request(clean.config.dataset.workDir, 'interrupted', lines, { continue: true }));
  assert.ok(lines.some((l) => /^continuing from .*interrupted.*checkpoint_latest/.test(l)), lines.join('\n'));
  assert.equal(resumed.startEpoch, snapshot.epochs);
  const dir = resumed.outDir;
  assert.deepEqual(events(dir).map(timeless), ev.map(timeless), 'the same events, before and after the interruption');
  assert.deepEqual(parseTrainingLog(readLog(dir), 'log').map(values), parseTrainingLog(readLog(clean.outDir), 'log').map(values));
  assert.deepEqual(hex(checkpointWeightsFile(dir, 'final')), hex(checkpointWeightsFile(clean.outDir, 'final')), 'final weights bit-identical');
  assert.deepEqual(loadArchitecture(dir), loadArchitecture(clean.outDir));
});
