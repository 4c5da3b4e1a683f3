/**
 * Preprocess a whole dataset with a plan: one .pspcase file per case (case_file.ts) in `outDir`, written
 * atomically by worker threads. Resumable: a case whose file exists and carries the plan's hash is
 * skipped; leftover temporary files of an interrupted run are removed. One run per folder at a time:
 * the folder is locked (util/folder_lock.ts), so a second run is refused instead of deleting the
 * first one's temporary files.
 * The folder also gets `plan.json` (the plan used) and `cases.json` (a manifest) at the end.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, TEMP_MARKER } from '../../util/atomic_write.js';
import { defaultWorkers, runPool } from '../../util/worker_pool.js';
import { lockFolder } from '../../util/folder_lock.js';
import type { Shape3 } from '../common/triple.js';
import type { CaseFiles } from '../dataset/case_reader.js';
import { CASE_FILE_EXTENSION, readCaseHeader } from './case_file.js';
import { type PreprocessingPlan, planHash } from './preprocessing_plan.js';
import { type PreprocessResult, type PreprocessTask, runPreprocessTask } from './preprocess_task.js';

const PREPROCESS_WORKER_URL = new URL('./preprocess_worker.js', import.meta.url);

export interface PreprocessOptions {
  outDir: string;
  workers?: number;
  /** Redo every case even when its file is up to date. */
  force?: boolean;
  /** Only these case ids (default: all). */
  only?: readonly string[];
  /** Called after each case, also for skipped ones. */
  onCase?: (id: string, status: 'done' | 'skipped') => void;
}

export interface PreprocessSummary { outDir: string; planHash: string; processed: string[]; skipped: string[]; seconds: number }

export interface ManifestEntry { id: string; file: string; shape: Shape3; classVoxels: Record<string, number> }

export function caseFilePath(outDir: string, id: string): string {
  return join(outDir, `${id}${CASE_FILE_EXTENSION}`);
}

/** True when the case file exists, is readable, and was made with this plan hash. */
async function isUpToDate(path: string, hash: string): Promise<boolean> {
  try { return (await readCaseHeader(path)).properties.planHash === hash; } catch { return false; }
}

async function removeStaleTempFiles(dir: string): Promise<void> {
  for (const f of await readdir(dir)) if (f.includes(TEMP_MARKER)) await rm(join(dir, f), { force: true });
}

export async function preprocessDataset<P extends PreprocessingPlan>(dataset: { cases: readonly CaseFiles[] }, plan: P, o: PreprocessOptions): Promise<PreprocessSummary> {
  await mkdir(o.outDir, { recursive: true });
  const lock = await lockFolder(o.outDir);
  try {
    return await preprocessLocked(dataset, plan, o);
  } finally {
    lock.release();
  }
}

async function preprocessLocked<P extends PreprocessingPlan>(dataset: { cases: readonly CaseFiles[] }, plan: P, o: PreprocessOptions): Promise<PreprocessSummary> {
  const start = performance.now();
  const hash = planHash(plan);
  await removeStaleTempFiles(o.outDir);
  const cases = o.only ? dataset.cases.filter((c) => o.only!.includes(c.id)) : dataset.cases;
  const ids = new Set<string>();
  for (const c of cases) { if (ids.has(c.id)) throw new Error(`duplicate case id ${c.id}`); ids.add(c.id); }

  const skipped: string[] = [], todo: PreprocessTask[] = [];
  for (const c of cases) {
    const outPath = caseFilePath(o.outDir, c.id);
    if (!o.force && await isUpToDate(outPath, hash)) { skipped.push(c.id); o.onCase?.(c.id, 'skipped'); continue; }
    todo.push({ case: c, plan, planHash: hash, outPath });
  }
  // The manifest is rewritten at the end; until then none is better than a stale one.
  if (todo.length) await rm(join(o.outDir, 'cases.json'), { force: true });
  // The plan that made the files, as given (plan/plan_file.ts validated it when it was read or saved).
  await writeFileAtomic(join(o.outDir, 'plan.json'), [`${JSON.stringify(plan, null, 2)}\n`]);
  const processed: string[] = [];
  await runPool<PreprocessTask, PreprocessResult>({
    workerUrl: PREPROCESS_WORKER_URL,
    workers: o.workers ?? defaultWorkers(),
    tasks: todo,
    inline: runPreprocessTask,
    describe: (t) => `preprocessing case ${t.case.id}`,
    onResult: (r) => { processed.push(r.id); o.onCase?.(r.id, 'done'); },
  });
  await writeManifest(o.outDir, dataset.cases.map((c) => c.id), hash);
  return { outDir: o.outDir, planHash: hash, processed, skipped, seconds: (performance.now() - start) / 1000 };
}

/** cases.json: every up-to-date case of the folder with its shape and class sizes, from the file headers. */
async function writeManifest(outDir: string, ids: readonly string[], hash: string): Promise<void> {
  const entries: ManifestEntry[] = [];
  for (const id of ids) {
    const file = caseFilePath(outDir, id);
    let p;
    try { p = (await readCaseHeader(file)).properties; } catch { continue; }
    if (p.planHash !== hash) continue;
    entries.push({ id, file: `${id}${CASE_FILE_EXTENSION}`, shape: p.shape, classVoxels: p.classVoxels });
  }
  await writeFileAtomic(join(outDir, 'cases.json'), [`${JSON.stringify({ planHash: hash, cases: entries }, null, 1)}\n`]);
}
