/**
 * Progressive pruning benchmark on hippocampus. Plans and preprocesses the cases into a temporary
 * work folder, then trains PSP-Seg S on fold 0 with pruning scaled down so that several events
 * happen in a short run: patch 32^3, batch 2, 14 epochs of 4 iterations (1 validation batch),
 * window W 1 (an event is possible every second epoch: whenever TR rose in the last epoch),
 * 4 calibration batches, no stop before the end, delta 1 (nothing counts as over-pruned) and only
 * TR watched (at this size TR is noisy from epoch to epoch; see test/pruning_train.test.ts). Then it times one training step (forward, TR's
 * masked encoder pass, the psp loss, backward, clipping, SGD) at the plan's patch on one fixed batch,
 * interleaved, median of BENCH_REPS:
 *   - before: the unpruned network;
 *   - after: a second unpruned network that trained a few steps, then had the run's final blocks
 *     deleted (and masked) through src/pruning exactly as in training (Module.deleteModule and the
 *     optimiser dropping their state);
 *   - fresh: the final architecture built from scratch without those blocks.
 * It also reports each network's multiply-accumulates per forward (sum over layers of weights x
 * output voxels, masked blocks excluded) against the step times, the search time per event of the
 * run and per calibration batch, and, at the step patch, what a search with the default N = 100
 * batches costs against an epoch of 250 steps.
 *
 * Environment: BENCH_DATASET (default $PSPSEG_DATA or ../shared/data, /Task04_Hippocampus), BENCH_CASES (all),
 * BENCH_EPOCHS (14), BENCH_ITERATIONS (4), BENCH_WINDOW (1), BENCH_PATCH (32; the run), BENCH_STEP_PATCH (the plan's;
 * the step timing), BENCH_REPS (7), BENCH_WORKERS (loader default). BENCH_SMOKE=1: 10 cases, 3 epochs of
 * 1 iteration, step timing at 16x32x32 with 1 repetition, to check that it runs.
 * Last line: one JSON object {"params_before", "params_after", "step_ms_before", "step_ms_after",
 * "events", "search_s_per_event", ...}.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDataset } from '../src/data/dataset/dataset.js';
import { planDataset } from '../src/data/plan/plan.js';
import { savePlan } from '../src/data/plan/plan_file.js';
import { preprocessDataset } from '../src/data/preprocess/preprocess_dataset.js';
import { PLAN_FILE, PREPROCESSED_DIR } from '../src/data/dataset/work_dir.js';
import { BatchLoader, type Batch } from '../src/data/sampling/loader.js';
import { Generator, noGrad, tidy } from '../src/tensor/index.js';
import { SGD, clipGradNorm } from '../src/optim/index.js';
import { type PSPSegNet, type PspArchitecture, type Triple, buildNetwork as buildModel, loadArchitecture } from '../src/models/index.js';
import { type BlockRef, type PruningEvent, deleteBlocks, maskBlocks, searchBlocks } from '../src/pruning/index.js';
import { mixSeed } from '../src/util/random.js';
import { runTraining } from '../src/train/run.js';
import { buildLoss, buildNetwork } from '../src/train/registry.js';
import { loadCases, openPreprocessed } from '../src/train/preprocessed.js';
import { parseLogRecords } from '../src/train/training_log.js';
import type { TrainingLoss } from '../src/losses/index.js';
import { numberSetting, smoke } from './smoke.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const datasetPath = resolve(root, process.env.BENCH_DATASET ?? join(process.env.PSPSEG_DATA ?? '../shared/data', 'Task04_Hippocampus'));
const epochs = numberSetting('BENCH_EPOCHS', 14, 3), iterations = numberSetting('BENCH_ITERATIONS', 4, 1), reps = numberSetting('BENCH_REPS', 7, 1);
const side = numberSetting('BENCH_PATCH', 32, 32);
const numCases = numberSetting('BENCH_CASES', Infinity, 10);
const workers = process.env.BENCH_WORKERS === undefined ? undefined : Number(process.env.BENCH_WORKERS);
const pruning = { window: numberSetting('BENCH_WINDOW', 1, 1), calibrationBatches: 4, stopFraction: 1, delta: 1, monitored: ['tr' as const] };
const load = () => loadavg().map((l) => +l.toFixed(2));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (v: number, d = 1) => +v.toFixed(d);

/** Multiply-accumulates of one forward: weights x output voxels per layer; a PRM counts its active blocks only. */
function macs(net: PSPSegNet, patch: Triple): number {
  const rows = net.layout(patch, 1);
  const prms = new Set(net.prunableModules().map((m) => m.name));
  return rows.reduce((n, r) => {
    const voxels = r.output[2] * r.output[3] * r.output[4];
    if (r.depth === 0 && !prms.has(r.name)) return n + r.params * voxels;
    if (r.depth === 1 && r.note?.endsWith('active')) return n + r.params * voxels;
    return n;
  }, 0);
}

const dataset = readDataset(datasetPath);
const cases = dataset.cases.slice(0, numCases);
const subset = { ...dataset, cases };
const work = await mkdtemp(join(tmpdir(), 'pspseg-bench-prune-'));
const loadStart = load();
try {
  const t0 = performance.now();
  const { plan } = await planDataset(subset);
  await savePlan(join(work, PLAN_FILE), plan);
  await preprocessDataset(subset, plan, { outDir: join(work, PREPROCESSED_DIR) });
  console.log(`preprocessed ${cases.length} cases in ${((performance.now() - t0) / 1000).toFixed(0)} s; plan patch ${plan.patchSize.join('x')}, batch ${plan.batchSize}`);

  // --- the pruning run
  const lines: string[] = [];
  const r = await runTraining({
    workDir: work,
    options: {
      arch: 'psp', variant: 'S', name: 'bench', epochs, iterations, 'val-iterations': 1, batch: 2, patch: [side, side, side], seed: 0, workers, quiet: true, precision: 'fp32',
      'prune-window': pruning.window, 'prune-calibration-batches': pruning.calibrationBatches, 'prune-stop-fraction': pruning.stopFraction,
      'prune-delta': pruning.delta, 'prune-monitor': pruning.monitored,
    },
    print: (l) => { lines.push(l); if (l.startsWith('pruning') || l.startsWith('epoch')) console.log(l); },
  });
  const events = parseLogRecords(await readFile(join(r.outDir, 'training_log.jsonl'), 'utf8'), 'log', 'pruning') as unknown as PruningEvent[];
  const searches = events.filter((e) => e.calibration);
  const searchSeconds = searches.map((e) => e.calibration!.seconds);
  const searchPerEvent = searchSeconds.length ? searchSeconds.reduce((a, b) => a + b, 0) / searchSeconds.length : 0;
  const searchPerBatch = searchPerEvent / pruning.calibrationBatches;
  // The trainer's own step time (data waits included) in epochs without an event: before the first deletion, and between the first and the second.
  const eventEpochs = new Set(events.map((e) => e.epoch));
  const deletions = events.filter((e) => e.kind === 'deleted').map((e) => e.epoch);
  const stepOf = (from: number, to: number) => {
    const xs = r.logs.filter((e) => e.epoch >= from && e.epoch < to && e.epoch > 0 && !eventEpochs.has(e.epoch)).map((e) => (1000 * e.trainSeconds) / iterations);
    return xs.length ? round(median(xs)) : null;
  };

  // --- step timing: before, after deletion in place, fresh without the blocks
  const config = r.config;
  const stepPatch = (process.env.BENCH_STEP_PATCH ? process.env.BENCH_STEP_PATCH.split(',').map(Number) : smoke ? [16, 32, 32] : [...plan.patchSize]) as Triple;
  const stepConfig = { ...config, patchSize: stepPatch };
  const builder = buildNetwork(stepConfig);
  const loss: TrainingLoss = buildLoss(stepConfig);
  const final = loadArchitecture(r.outDir) as PspArchitecture;
  const compactBlocks = Object.fromEntries(Object.entries(final.blocks).map(([m, s]) => [m, s.map((x) => (x === 'masked' ? 'deleted' as const : x))]));
  const before = builder.create(1) as unknown as PSPSegNet;
  const after = builder.create(2) as unknown as PSPSegNet;
  const fresh = buildModel({ ...final, blocks: compactBlocks }, { generator: new Generator(3) }) as PSPSegNet;
  const nets = { before, after, fresh };
  const opts = Object.fromEntries(Object.entries(nets).map(([k, n]) => [k, new SGD(n.namedParameters(), { lr: 1e-4, momentum: 0.99, nesterov: true, weightDecay: 3e-5 })]));
  const d = await openPreprocessed(work);
  const trainCases = await loadCases(d, config.trainCases.slice(0, 8));
  const loader = new BatchLoader({
    cases: [...trainCases.values()], patchSize: stepPatch, batchSize: plan.batchSize, seed: mixSeed(0, 99), numBatches: 1, augment: false,
    deepSupervisionScales: builder.outputScales(before as never), workers: 0, oversampleForeground: 0.33,
  });
  const batch: Batch = await loader.next();
  await loader.close();
  const step = (name: keyof typeof nets): number => {
    const net = nets[name], opt = opts[name]!;
    const s = performance.now();
    tidy(() => {
      opt.zeroGrad();
      const out = net.forward(batch.image);
      const masked = noGrad(() => net.encode(loss.maskInput!(batch.image, batch.target[0]!)));
      const res = loss.compute(out, masked, batch.target);
      res.total.backward();
      clipGradNorm(net.parameters(), 12);
      opt.step();
    });
    return performance.now() - s;
  };
  for (const k of Object.keys(nets) as (keyof typeof nets)[]) step(k); // warm-up; `after` gets optimiser state to drop
  // Delete (and mask) the run's final blocks in `after`, as pruning does during training.
  const refs = (state: string): BlockRef[] => Object.entries(final.blocks).flatMap(([module, s]) => s.flatMap((x, block) => (x === state ? [{ module, block }] : [])));
  const paramsBeforeDelete = after.numParameters();
  maskBlocks(after, refs('deleted'));
  deleteBlocks(after, refs('deleted'), opts.after!);
  maskBlocks(after, refs('masked'));
  step('after'); // first step after the deletion, not timed
  const times: Record<string, number[]> = { before: [], after: [], fresh: [] };
  for (let i = 0; i < reps; i++) for (const k of Object.keys(nets) as (keyof typeof nets)[]) times[k]!.push(step(k));
  // The block search at the step patch: N batches through the unpruned network, every PRM scoring its 4 single-block maskings.
  const searchBatches = 2;
  const search = await searchBlocks({ network: before, batches: searchBatches, drawBatch: async () => ({ image: batch.image, dispose: () => undefined }) }, before.prunableModules(), 1);
  const searchPerBatchStep = search.report.seconds / searchBatches;
  batch.dispose();
  console.log(`step times (ms) at ${stepPatch.join('x')}, batch ${plan.batchSize}: ${Object.entries(times).map(([k, v]) => `${k} ${v.map((t) => t.toFixed(0)).join(' ')}`).join('; ')}`);
  const ms = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, round(median(v))])) as Record<keyof typeof nets, number>;
  const macsOf = Object.fromEntries(Object.entries(nets).map(([k, n]) => [k, macs(n, stepPatch)])) as Record<keyof typeof nets, number>;
  const stepOneEpochAt250 = (250 * ms.before) / 1000;
  const out = {
    params_before: r.logs[0]!.numParameters,
    params_after: r.numParameters,
    step_ms_before: ms.before,
    step_ms_after: ms.after,
    step_ms_fresh_pruned: ms.fresh,
    step_patch: stepPatch,
    step_batch: plan.batchSize,
    step_ratio: round(ms.after / ms.before, 3),
    macs_ratio: round(macsOf.after / macsOf.before, 3),
    params_ratio: round(r.numParameters / r.logs[0]!.numParameters, 3),
    deleted_in_place_params: paramsBeforeDelete - after.numParameters(),
    events: events.length,
    event_list: events.map((e) => `${e.epoch}:${e.kind}${e.blocks.length ? `(${e.blocks.length})` : ''}`),
    search_s_per_event: round(searchPerEvent, 2),
    search_s_per_calibration_batch: round(searchPerBatch, 3),
    run_epoch_s: round(r.logs.reduce((a, e) => a + e.epochSeconds, 0) / r.logs.length, 2),
    trainer_step_ms_before_first_delete: stepOf(0, deletions[0] ?? epochs),
    trainer_step_ms_after_first_delete: deletions.length ? stepOf(deletions[0]! + 1, deletions[1] ?? epochs) : null,
    search_s_per_batch_step_patch: round(searchPerBatchStep, 3),
    search_s_at_N100_step_patch: round(searchPerBatchStep * 100, 1),
    epoch_s_at_250_steps_step_patch: round(stepOneEpochAt250, 1),
    run: { patch: [side, side, side], batch: 2, epochs, iterations, cases: cases.length, pruning },
    load_avg_start: loadStart,
    load_avg_end: load(),
  };
  for (const n of Object.values(nets)) n.dispose();
  for (const o of Object.values(opts)) o.dispose();
  console.log(JSON.stringify(out));
} finally {
  await rm(work, { recursive: true, force: true });
}
