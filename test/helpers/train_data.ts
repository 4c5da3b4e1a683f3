/**
 * Preprocessed datasets for trainer tests, made in a temporary work folder: a subset of the
 * hippocampus cases (an MSD layout of links) or a bundled sample; planned and preprocessed with the
 * library, once per test process.
 */
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readDataset } from '../../src/data/dataset/dataset.js';
import { planDataset } from '../../src/data/plan/plan.js';
import { savePlan } from '../../src/data/plan/plan_file.js';
import { preprocessDataset } from '../../src/data/preprocess/preprocess_dataset.js';
import { PLAN_FILE, PREPROCESSED_DIR, safeName } from '../../src/data/dataset/work_dir.js';
import { layoutSample, sample } from './sample_datasets.js';
import { HIPPOCAMPUS_DIR } from './shared_data.js';

async function planAndPreprocess(datasetDir: string, workRoot: string): Promise<string> {
  const dataset = readDataset(datasetDir);
  const work = join(workRoot, safeName(dataset.name));
  const { plan } = await planDataset(dataset, { workers: 1 });
  await savePlan(join(work, PLAN_FILE), plan);
  await preprocessDataset(dataset, plan, { outDir: join(work, PREPROCESSED_DIR), workers: 1 });
  return work;
}

const made = new Map<string, Promise<string>>();

/** The work folder of the first `n` hippocampus cases (dataset.json order), named Hippocampus<n>. */
export function hippocampusSubset(n: number): Promise<string> {
  const key = `hippocampus${n}`;
  if (!made.has(key)) made.set(key, (async () => {
    const root = mkdtempSync(join(tmpdir(), 'pspseg-train-data-'));
    const src = JSON.parse(readFileSync(join(HIPPOCAMPUS_DIR, 'dataset.json'), 'utf8')) as { training: { image: string; label: string }[] };
    const dir = join(root, `Hippocampus${n}`);
    mkdirSync(join(dir, 'imagesTr'), { recursive: true });
    mkdirSync(join(dir, 'labelsTr'), { recursive: true });
    const training = src.training.slice(0, n).map((t) => {
      symlinkSync(join(HIPPOCAMPUS_DIR, t.image), join(dir, 'imagesTr', basename(t.image)));
      symlinkSync(join(HIPPOCAMPUS_DIR, t.label), join(dir, 'labelsTr', basename(t.label)));
      return { image: `./imagesTr/${basename(t.image)}`, label: `./labelsTr/${basename(t.label)}` };
    });
    writeFileSync(join(dir, 'dataset.json'), JSON.stringify({
      name: `Hippocampus${n}`, modality: { 0: 'MRI' }, labels: { 0: 'background', 1: 'Anterior', 2: 'Posterior' }, numTraining: n, training, test: [],
    }));
    return planAndPreprocess(dir, join(root, 'work'));
  })());
  return made.get(key)!;
}

/** The work folder of a bundled sample (test/helpers/sample_datasets.ts). */
export function preparedSample(name: string): Promise<string> {
  if (!made.has(name)) made.set(name, (async () => {
    const root = mkdtempSync(join(tmpdir(), 'pspseg-train-sample-'));
    return planAndPreprocess(layoutSample(root, sample(name)), join(root, 'work'));
  })());
  return made.get(name)!;
}
