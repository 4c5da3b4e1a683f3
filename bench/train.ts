/**
 * Trainer benchmark: does the loader keep up? Plans and preprocesses the hippocampus cases into a
 * temporary work folder, then trains the small U-Net on fold 0 at the planned patch size, batch 2,
 * and reports the share of the epoch time the training step spent waiting for data, and the time
 * per iteration. Environment: BENCH_DATASET (default $PSPSEG_DATA or ../shared/data, /Task04_Hippocampus),
 * BENCH_CASES (all), BENCH_EPOCHS (2), BENCH_ITERATIONS (250), BENCH_VAL_ITERATIONS (50), BENCH_WORKERS
 * (loader default). BENCH_SMOKE=1: 10 cases, 1 epoch of 1 iteration and 1 validation batch, to check
 * that it runs. Last line: one JSON object {"epochs", "iterations", "s_per_iteration", "data_wait_pct"}.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDataset } from '../src/data/dataset/dataset.js';
import { planDataset } from '../src/data/plan/plan.js';
import { savePlan } from '../src/data/plan/plan_file.js';
import { preprocessDataset } from '../src/data/preprocess/preprocess_dataset.js';
import { PLAN_FILE, PREPROCESSED_DIR } from '../src/data/dataset/work_dir.js';
import { runTraining } from '../src/train/run.js';
import { numberSetting } from './smoke.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const datasetPath = resolve(root, process.env.BENCH_DATASET ?? join(process.env.PSPSEG_DATA ?? '../shared/data', 'Task04_Hippocampus'));
const numCases = numberSetting('BENCH_CASES', Infinity, 10);
const epochs = numberSetting('BENCH_EPOCHS', 2, 1), iterations = numberSetting('BENCH_ITERATIONS', 250, 1);
const valIterations = numberSetting('BENCH_VAL_ITERATIONS', 50, 1);
const workers = process.env.BENCH_WORKERS === undefined ? undefined : Number(process.env.BENCH_WORKERS);

const all = readDataset(datasetPath);
const dataset = { ...all, cases: all.cases.slice(0, numCases) };
const work = await mkdtemp(join(tmpdir(), 'pspseg-bench-train-'));
try {
  const { plan } = await planDataset(dataset);
  await savePlan(join(work, PLAN_FILE), plan);
  await preprocessDataset(dataset, plan, { outDir: join(work, PREPROCESSED_DIR) });
  const r = await runTraining({ workDir: work, options: { arch: 'small', name: 'bench', epochs, iterations, 'val-iterations': valIterations, batch: 2, workers, quiet: true, precision: 'fp32' } });
  const total = r.logs.reduce((a, e) => a + e.epochSeconds, 0);
  const wait = r.logs.reduce((a, e) => a + e.dataWaitSeconds, 0);
  const train = r.logs.reduce((a, e) => a + e.trainSeconds, 0);
  console.log(JSON.stringify({
    epochs, iterations, s_per_iteration: Number((train / (epochs * iterations)).toFixed(4)), data_wait_pct: Number(((100 * wait) / total).toFixed(2)),
  }));
} finally {
  await rm(work, { recursive: true, force: true });
}
