/**
 * Preprocess a whole dataset with a plan: one .pspcase file per case (case_file.ts) in `outDir`, written
 * atomically by worker threads. Resumable: a case whose file exists, carries the plan's hash and was
 * made from the same source files (paths, sizes, mtimes: dataset/case_sources.ts) is skipped; leftover temporary files of an interrupted run are removed. One run per folder at a time:
 * the folder is locked (util/folder_lock.ts), so a second run is refused instead of deleting the
 * first one's temporary files.
 * The folder also gets `plan.json` (the plan used) and `cases.json` (a manifest) at the end.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, TEMP_MARKER } from '../../util/atomic_write.js';
import { defaultWorkers, runPool } from '../../util/worker_pool.js';
import { lockFolder } from '../../util/folder_lock.js';
import { type LabelledTriple, labelTriple } from '../common/axes.js';
import { planToStored } from '../common/plan_axes.js';
import type { CaseFiles } from '../dataset/case_reader.js';
import { type SourceFile, sameSources, statCaseSources } from '../dataset/case_sources.js';
import { CASE_FILE_EXTENSION, readCaseHeader } from './case_file.js';
import type { PreprocessingPlan } from './preprocessing_plan.js';
import { planHash } from './plan_hash.js';
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

/** Why a case was (re)done: no usable file yet, another plan, changed source files, or --force. */
export type RedoReason = 'new' | 'plan' | 'sources' | 'force';

export interface PreprocessSummary {
  outDir: string;
  planHash: string;
  processed: string[];
  skipped: string[];
  /** Why each processed case was done. */
  reasons: Record<string, RedoReason>;
  seconds: number;
}

/** One case of cases.json; `shape` is the stored array's size per image axis. */
export interface ManifestEntry { id: string; file: string; shape: LabelledTriple; classVoxels: Record<string, number> }

export function caseFilePath(outDir: string, id: string): string {
  return join(outDir, `${id}${CASE_FILE_EXTENSION}`);
}

/** Why the case file must be made, or null when it exists, is readable, and was made with this plan from these files. */
async function staleness(path: string, hash: string, sources: readonly SourceFile[]): Promise<RedoReason | null> {
  let p;
  try { p = (await readCaseHeader(path)).properties; } catch { return 'new'; }
  if (p.planHash !== hash) return 'plan';
  return sameSources(p.sources, sources) ? null : 'sources';
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

  if (dataset.cases.length === 0) throw new Error('the dataset has no training cases: nothing to preprocess');
  const skipped: string[] = [], todo: PreprocessTask[] = [];
  const reasons: Record<string, RedoReason> = {};
  for (const c of cases) {
    const outPath = caseFilePath(o.outDir, c.id);
    const sources = await statCaseSources(c);
    const reason = o.force ? 'force' : await staleness(outPath, hash, sources);
    if (!reason) { skipped.push(c.id); o.onCase?.(c.id, 'skipped'); continue; }
    reasons[c.id] = reason;
    todo.push({ case: c, plan, planHash: hash, outPath, sources });
  }
  // The manifest is rewritten at the end; until then none is better than a stale one.
  if (todo.length) await rm(join(o.outDir, 'cases.json'), { force: true });
  // The plan that made the files, as given (plan/plan_file.ts validated it when it was read or saved).
  await writeFileAtomic(join(o.outDir, 'plan.json'), [`${JSON.stringify(planToStored(plan), null, 2)}\n`]);
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
  return { outDir: o.outDir, planHash: hash, processed, skipped, reasons, seconds: (performance.now() - start) / 1000 };
}

/** cases.json: every up-to-date case of the folder with its shape and class sizes, from the file headers. */
async function writeManifest(outDir: string, ids: readonly string[], hash: string): Promise<void> {
  const entries: ManifestEntry[] = [];
  for (const id of ids) {
    const file = caseFilePath(outDir, id);
    let p;
    try { p = (await readCaseHeader(file)).properties; } catch { continue; }
    if (p.planHash !== hash) continue;
    entries.push({ id, file: `${id}${CASE_FILE_EXTENSION}`, shape: labelTriple(p.shape, p.transposeForward), classVoxels: p.classVoxels });
  }
  await writeFileAtomic(join(outDir, 'cases.json'), [`${JSON.stringify({ planHash: hash, cases: entries }, null, 1)}\n`]);
}
