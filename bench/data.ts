/**
 * Data benchmark: plan + preprocess the hippocampus training cases (fresh, into a temporary folder),
 * then the batch loader's throughput at the planned patch size, batch 2, full nnU-Net augmentation,
 * consuming batches as fast as they come (the data rate a training loop could at most draw).
 * Environment: BENCH_DATASET (default $PSPSEG_DATA or ../shared/data, /Task04_Hippocampus), BENCH_CASES (all),
 * BENCH_LOADER_SECONDS (20), BENCH_WORKERS (loader patch workers; default the loader's own choice).
 * BENCH_SMOKE=1: 10 cases, 1 s of batches, to check that it runs.
 * Last line: one JSON object {"preprocess_s", "cases", "loader_batches_per_s", "cpu"}.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDataset } from '../src/data/dataset/dataset.js';
import { planDataset } from '../src/data/plan/plan.js';
import { preprocessDataset } from '../src/data/preprocess/preprocess_dataset.js';
import { loadTrainingCases } from '../src/data/sampling/training_cases.js';
import { BatchLoader } from '../src/data/sampling/loader.js';
import { engineConfig } from '../src/tensor/index.js';
import { describeCpu } from '../src/util/cpu_info.js';
import { numberSetting } from './smoke.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const datasetPath = resolve(root, process.env.BENCH_DATASET ?? join(process.env.PSPSEG_DATA ?? '../shared/data', 'Task04_Hippocampus'));
const numCases = numberSetting('BENCH_CASES', Infinity, 10);
const loaderSeconds = numberSetting('BENCH_LOADER_SECONDS', 20, 1);
const workers = process.env.BENCH_WORKERS === undefined ? undefined : Number(process.env.BENCH_WORKERS);
const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

const all = readDataset(datasetPath);
const dataset = { ...all, cases: all.cases.slice(0, numCases) };
const outDir = await mkdtemp(join(tmpdir(), 'pspseg-bench-data-'));
try {
  const t0 = performance.now();
  const { plan } = await planDataset(dataset);
  const tPlan = performance.now();
  const summary = await preprocessDataset(dataset, plan, { outDir, force: true });
  const preprocessSeconds = (performance.now() - t0) / 1000;
  console.log(`plan: ${((tPlan - t0) / 1000).toFixed(2)} s, patch [${plan.patchSize}], batch ${plan.batchSize}, spacing [${plan.targetSpacing.map((s) => s.toFixed(3))}]`);
  console.log(`preprocess: ${summary.processed.length} cases in ${summary.seconds.toFixed(2)} s (plan + preprocess ${preprocessSeconds.toFixed(2)} s)`);

  const cases = await loadTrainingCases(outDir);
  const maskedChannels = plan.channels.flatMap((c, i) => (c.useMask ? [i] : []));
  const loader = new BatchLoader({ cases, patchSize: plan.patchSize, batchSize: 2, seed: 0, workers, maskedChannels });
  for (let i = 0; i < 5; i++) (await loader.next()).dispose(); // warm-up: workers started, allocator warm
  let batches = 0;
  const start = performance.now();
  while (performance.now() - start < loaderSeconds * 1000) {
    (await loader.next()).dispose();
    batches++;
  }
  const rate = batches / ((performance.now() - start) / 1000);
  await loader.close();
  console.log(`loader: crop [${loader.cropSize}] -> patch [${loader.patchSize}], batch 2, ${batches} batches, ${rate.toFixed(1)} batches/s (${engineConfig().threads} engine threads)`);
  console.log(JSON.stringify({ preprocess_s: round(preprocessSeconds), cases: summary.processed.length, loader_batches_per_s: round(rate, 2), cpu: describeCpu() }));
} finally {
  await rm(outDir, { recursive: true, force: true });
}
