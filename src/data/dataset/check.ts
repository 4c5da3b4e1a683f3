/**
 * `check`: validates a whole dataset and returns every problem found, errors (the dataset cannot be
 * trained on as is) and warnings (worth a look), plus a few statistics for the summary.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../util/atomic_write.js';
import { shortHash } from '../common/short_hash.js';
import type { Shape3, Spacing3 } from '../../util/triple.js';
import { declaredLabelValues, readDataset, type Dataset, type DatasetLayout } from './dataset.js';
import { checkCase, type CaseFacts, type CheckProblem } from './check_case.js';
import { type SourceFile, sameSources, statCaseSources } from './case_sources.js';

export type { CheckProblem, CheckCode } from './check_case.js';

export interface CheckOptions {
  /** Cases read at once (default: CPU count, 2 to 4: gunzip runs on libuv's 4 pool threads, and big 4D cases cost memory). */
  concurrency?: number;
  /** Relative geometry tolerance (default 1e-3; see compareGeometry). */
  tolerance?: number;
  /** Called after each case. */
  onProgress?: (done: number, total: number, caseId: string) => void;
  /**
   * A file that keeps each case's result with the sizes and mtimes of its files: a case whose files
   * did not change is not read again (plan and preprocess check through it).
   */
  cacheFile?: string;
}

export interface CheckStats {
  /** The axis order of the triples below: the image's own voxel axes as in its NIfTI file. */
  axes: 'x, y, z';
  /** Smallest and largest image size per axis. */
  shapeMin: number[]; shapeMax: number[];
  spacingMin: number[]; spacingMax: number[];
  /** Image orientation -> number of cases. */
  orientations: Record<string, number>;
  /** Label value -> voxel count over all labels. */
  labelVoxels: Record<string, number>;
}

export interface CheckReport {
  root: string;
  name: string;
  layout: DatasetLayout;
  channelNames: string[];
  labels: Dataset['labels'];
  cases: number;
  files: number;
  errors: CheckProblem[];
  warnings: CheckProblem[];
  /** No errors (warnings allowed). */
  ok: boolean;
  stats: CheckStats;
  seconds: number;
  /** Cases whose result came from the cache file. */
  cachedCases: number;
  /** Size and spacing of each case's first image that could be read, per NIfTI axis (x, y, z). */
  geometry: { id: string; shape: Shape3; spacing: Spacing3 }[];
}

const CACHE_VERSION = 1;
type CaseResult = { facts: CaseFacts; problems: CheckProblem[] };
interface CachedCase { sources: SourceFile[]; channelInFile: string; facts: Omit<CaseFacts, 'labelCounts'> & { labelCounts?: [number, number][] }; problems: CheckProblem[] }
interface CheckCache { version: number; context: string; cases: Record<string, CachedCase> }

async function readCache(file: string | undefined, context: string): Promise<Record<string, CachedCase>> {
  if (!file) return {};
  try {
    const c = JSON.parse(await readFile(file, 'utf8')) as CheckCache;
    return c.version === CACHE_VERSION && c.context === context && c.cases && typeof c.cases === 'object' ? c.cases : {};
  } catch {
    return {};
  }
}

const fromCache = (c: CachedCase): CaseResult => ({
  facts: { ...c.facts, ...(c.facts.labelCounts ? { labelCounts: new Map(c.facts.labelCounts) } : {}) } as CaseFacts,
  problems: c.problems,
});
const toCache = (r: CaseResult, sources: SourceFile[], channelInFile: string): CachedCase => {
  const { labelCounts, ...facts } = r.facts;
  return { sources, channelInFile, problems: r.problems, facts: { ...facts, ...(labelCounts ? { labelCounts: [...labelCounts] } : {}) } };
};

/** Checks the dataset (or the dataset folder at a path; a bad dataset.json throws DatasetError). */
export async function checkDataset(datasetOrPath: Dataset | string, options: CheckOptions = {}): Promise<CheckReport> {
  const start = performance.now();
  const dataset = typeof datasetOrPath === 'string' ? readDataset(datasetOrPath) : datasetOrPath;
  const ctx = { channelNames: dataset.channelNames, declaredLabels: declaredLabelValues(dataset), tolerance: options.tolerance ?? 1e-3 };
  // Everything a case's result depends on besides its own files.
  const context = shortHash({ ctx: { ...ctx, declaredLabels: [...ctx.declaredLabels].sort((a, b) => a - b) }, pspsegCheck: CACHE_VERSION });
  const cache = await readCache(options.cacheFile, context);
  const nextCache: Record<string, CachedCase> = {};
  let cachedCases = 0;
  const cases = dataset.cases;
  const results: CaseResult[] = new Array(cases.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const i = next++;
      const c = cases[i]!;
      const sources = await statCaseSources(c); // before reading: a change while reading shows next time
      const hit = cache[c.id];
      if (hit && hit.channelInFile === c.channelInFile && sameSources(hit.sources, sources)) {
        results[i] = fromCache(hit);
        nextCache[c.id] = hit;
        cachedCases++;
      } else {
        results[i] = await checkCase(c, ctx);
        nextCache[c.id] = toCache(results[i]!, sources, c.channelInFile);
      }
      options.onProgress?.(++done, cases.length, c.id);
    }
  };
  const concurrency = Math.max(1, options.concurrency ?? Math.min(4, Math.max(2, availableParallelism())));
  await Promise.all(Array.from({ length: Math.min(concurrency, cases.length) }, worker));
  if (options.cacheFile) {
    await mkdir(dirname(options.cacheFile), { recursive: true });
    await writeFileAtomic(options.cacheFile, [JSON.stringify({ version: CACHE_VERSION, context, cases: nextCache } satisfies CheckCache)]);
  }

  const problems = [...(await datasetProblems(dataset)), ...results.flatMap((r) => r.problems)];
  const facts = results.map((r) => r.facts);
  problems.push(...orientationWarnings(facts), ...unusedLabelWarnings(dataset, facts));
  return {
    root: dataset.root,
    name: dataset.name,
    layout: dataset.layout,
    channelNames: dataset.channelNames,
    labels: dataset.labels,
    cases: cases.length,
    files: cases.reduce((n, c) => n + c.images.length + (c.label ? 1 : 0), 0),
    errors: problems.filter((p) => p.severity === 'error'),
    warnings: problems.filter((p) => p.severity === 'warning'),
    ok: !problems.some((p) => p.severity === 'error'),
    stats: statistics(facts),
    seconds: (performance.now() - start) / 1000,
    cachedCases,
    geometry: facts.flatMap((f) => (f.shape && f.spacing ? [{ id: f.id, shape: f.shape, spacing: f.spacing }] : [])),
  };
}

/** Problems of the dataset as a whole: case count, stray files, test images. */
async function datasetProblems(dataset: Dataset): Promise<CheckProblem[]> {
  const out: CheckProblem[] = [];
  const json = dataset.datasetJson;
  if (dataset.cases.length === 0) {
    out.push({ severity: 'error', code: 'case-count', file: json, message: 'no training cases found' });
  }
  if (dataset.numTraining !== undefined && dataset.numTraining !== dataset.cases.length) {
    // nnU-Net v2 refuses such a dataset; MSD files are often edited without updating the count.
    out.push({
      severity: dataset.layout === 'nnunetv2' ? 'error' : 'warning', code: 'case-count', file: json,
      message: `numTraining is ${dataset.numTraining} but ${dataset.cases.length} training cases were found`,
    });
  }
  for (const file of dataset.strayFiles) {
    out.push({ severity: 'warning', code: 'stray-file', file, message: 'file belongs to no case (not listed, or not named CASE_XXXX)' });
  }
  for (const c of dataset.testCases) {
    for (const file of c.images) {
      if (!(await stat(file).catch(() => undefined))?.isFile()) {
        out.push({ severity: 'error', code: 'missing-file', caseId: c.id, file, message: 'test image is missing' });
      }
    }
  }
  return out;
}

/** Cases whose image orientation differs from the most common one (often a conversion slip). */
function orientationWarnings(facts: CaseFacts[]): CheckProblem[] {
  const counts = countBy(facts.map((f) => f.orientation));
  const common = Object.entries(counts).sort((a, b) => b[1] - a[1])[0]?.[0];
  return facts.filter((f) => f.orientation && f.orientation !== common).map((f) => ({
    severity: 'warning' as const, code: 'unusual-orientation' as const, caseId: f.id,
    message: `image orientation ${f.orientation} differs from the dataset's usual ${common} (${counts[common!]} cases)`,
  }));
}

function unusedLabelWarnings(dataset: Dataset, facts: CaseFacts[]): CheckProblem[] {
  if (!facts.some((f) => f.labelCounts)) return [];
  const seen = new Set(facts.flatMap((f) => [...(f.labelCounts?.keys() ?? [])]));
  return dataset.labels.filter((l) => l.value !== 0 && !l.region && !seen.has(l.value)).map((l) => ({
    severity: 'warning' as const, code: 'unused-label' as const, file: dataset.datasetJson,
    message: `label ${l.value} (${l.name}) is declared but occurs in no case`,
  }));
}

function countBy(keys: (string | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) if (k !== undefined) out[k] = (out[k] ?? 0) + 1;
  return out;
}

function statistics(facts: CaseFacts[]): CheckStats {
  const shapes = facts.flatMap((f) => (f.shape ? [f.shape] : []));
  const spacings = facts.flatMap((f) => (f.spacing ? [f.spacing] : []));
  const axis = (rows: number[][], pick: (...v: number[]) => number): number[] =>
    rows.length ? [0, 1, 2].map((i) => pick(...rows.map((r) => r[i]!))) : [];
  const labelVoxels: Record<string, number> = {};
  for (const f of facts) for (const [v, n] of f.labelCounts ?? []) labelVoxels[v] = (labelVoxels[v] ?? 0) + n;
  return {
    axes: 'x, y, z',
    shapeMin: axis(shapes, Math.min), shapeMax: axis(shapes, Math.max),
    spacingMin: axis(spacings, Math.min), spacingMax: axis(spacings, Math.max),
    orientations: countBy(facts.map((f) => f.orientation)),
    labelVoxels,
  };
}
