/**
 * A dataset's preprocessed cases as the trainer needs them: the plan (checked against the plan the
 * files were made with), the case ids, and the cases themselves, loaded through
 * loadTrainingCases (which checks each file's plan hash) and put in shared memory once, so every
 * epoch's loader workers read the same bytes.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { formatXYZ } from '../data/common/axes.js';
import { readDataset } from '../data/dataset/dataset.js';
import { prepareDataset } from '../data/plan/prepare.js';
import { type Plan } from '../data/plan/plan_schema.js';
import { planHash } from '../data/preprocess/plan_hash.js';
import { loadPlan } from '../data/plan/plan_file.js';
import type { CaseArrays } from '../data/sampling/patch_sampler.js';
import { shareCase } from '../data/sampling/shared_cases.js';
import { loadTrainingCases } from '../data/sampling/training_cases.js';
import { PLAN_FILE, PREPROCESSED_DIR, datasetWorkDir } from '../data/dataset/work_dir.js';

export interface PreprocessedDataset {
  name: string;
  workDir: string;
  preprocessedDir: string;
  plan: Plan;
  planHash: string;
  caseIds: string[];
}

/**
 * The work folder of DATASET, ready to train from: the name of a dataset already preprocessed under
 * the work root, or such a work folder itself, as they are; a dataset folder (or its dataset.json) is
 * checked, planned and preprocessed into its work folder first, each step skipped when done.
 */
export async function preparedWorkDir(dataset: string, o: { progress: boolean; print: (line: string) => void }): Promise<string> {
  const byName = datasetWorkDir(dataset);
  if (existsSync(join(byName, PREPROCESSED_DIR, 'cases.json'))) return byName;
  if (existsSync(join(resolve(dataset), PREPROCESSED_DIR, 'cases.json'))) return resolve(dataset);
  const d = readDataset(dataset); // a DatasetError names the path when it is none of these
  const work = datasetWorkDir(d.name);
  o.print(`${d.root}: checking, planning and preprocessing into ${work} first (each step skipped when already done)`);
  const { plan, planned } = await prepareDataset(d, { workDir: work, progress: o.progress, print: o.print });
  if (planned) o.print(`plan: spacing ${formatXYZ(plan.targetSpacing, plan.transposeForward, 'mm')}, patch ${formatXYZ(plan.patchSize, plan.transposeForward)}`);
  return work;
}

export async function openPreprocessed(workDir: string): Promise<PreprocessedDataset> {
  const preprocessedDir = join(workDir, PREPROCESSED_DIR);
  const manifestPath = join(preprocessedDir, 'cases.json');
  if (!existsSync(manifestPath))
    throw new Error(`${manifestPath}: not found; run 'pspseg plan' and 'pspseg preprocess' on the dataset first`);
  let manifest: { planHash?: unknown; cases?: { id?: unknown }[] };
  try { manifest = JSON.parse(await readFile(manifestPath, 'utf8')); } catch (err) {
    throw new Error(`${manifestPath}: ${(err as Error).message}; run 'pspseg preprocess' again`);
  }
  if (typeof manifest.planHash !== 'string' || !Array.isArray(manifest.cases))
    throw new Error(`${manifestPath}: not a preprocessing manifest (planHash and cases); run 'pspseg preprocess' again`);
  const planPath = join(workDir, PLAN_FILE);
  const plan = await loadPlan(existsSync(planPath) ? planPath : join(preprocessedDir, PLAN_FILE));
  const hash = planHash(plan);
  if (hash !== manifest.planHash)
    throw new Error(`${planPath}: plan ${hash} differs from the one the cases were preprocessed with (${manifest.planHash}, ${manifestPath}); run 'pspseg preprocess' again`);
  const caseIds = manifest.cases.map((c) => String(c.id));
  if (caseIds.length === 0) throw new Error(`${manifestPath}: no preprocessed cases`);
  return { name: plan.dataset.name, workDir, preprocessedDir, plan, planHash: hash, caseIds };
}

/** The cases `ids` (each once), in shared memory. */
export async function loadCases(d: PreprocessedDataset, ids: readonly string[]): Promise<Map<string, CaseArrays>> {
  const unique = [...new Set(ids)];
  const cases = await loadTrainingCases(d.preprocessedDir, unique);
  return new Map(cases.map((c) => [c.key, shareCase(c)]));
}
