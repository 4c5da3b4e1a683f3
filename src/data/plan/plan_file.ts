/**
 * Plan files: pretty-printed JSON written atomically, and a loader that checks every field and
 * names the file and the field in its errors (plans are meant to be edited by hand).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../util/atomic_write.js';
import { NORMALIZATION_SCHEMES } from '../preprocess/normalize.js';
import type { Plan } from './plan.js';
import { PLAN_VERSION } from './plan.js';
import { isPermutation3 } from '../common/triple.js';

export class PlanFileError extends Error {
  constructor(readonly path: string, message: string) { super(`${path}: ${message}`); this.name = 'PlanFileError'; }
}

export async function savePlan(path: string, plan: Plan): Promise<void> {
  validatePlan(plan, path); // never write a plan that could not be read back
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, [`${JSON.stringify(plan, null, 2)}\n`]);
}

export async function loadPlan(path: string): Promise<Plan> {
  let text: string;
  try { text = await readFile(path, 'utf8'); } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PlanFileError(path, code === 'ENOENT' ? 'plan file does not exist (run `pspseg plan` first)' : (err as Error).message);
  }
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (err) { throw new PlanFileError(path, `not valid JSON: ${(err as Error).message}`); }
  return validatePlan(raw, path);
}

type Obj = Record<string, unknown>;

/** Checks the structure of a plan; returns it typed, or throws PlanFileError naming the bad field. */
export function validatePlan(raw: unknown, path = '<plan>'): Plan {
  const fail = (field: string, why: string): never => { throw new PlanFileError(path, `${field} ${why}`); };
  const obj = (v: unknown, f: string): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : fail(f, 'must be an object'));
  const num = (v: unknown, f: string, check: (n: number) => boolean = Number.isFinite, what = 'a finite number'): number =>
    (typeof v === 'number' && check(v) ? v : fail(f, `must be ${what}, found ${JSON.stringify(v)}`));
  const posInt = (v: unknown, f: string): number => num(v, f, (n) => Number.isInteger(n) && n > 0, 'a positive integer');
  const triple = (v: unknown, f: string, each: (x: unknown, f: string) => number): [number, number, number] =>
    Array.isArray(v) && v.length === 3 ? (v.map((x, i) => each(x, `${f}[${i}]`)) as [number, number, number]) : fail(f, 'must be an array of 3 numbers');
  const positive = (v: unknown, f: string): number => num(v, f, (n) => Number.isFinite(n) && n > 0, 'a positive number');
  const order = (v: unknown, f: string): number => num(v, f, (n) => n === 0 || n === 1 || n === 3, '0, 1 or 3');

  const p = obj(raw, 'plan');
  if (p.version !== PLAN_VERSION) fail('version', `must be ${PLAN_VERSION} (this pspseg reads plan version ${PLAN_VERSION}), found ${JSON.stringify(p.version)}`);
  const ds = obj(p.dataset, 'dataset');
  if (typeof ds.name !== 'string') fail('dataset.name', 'must be a string');
  if (typeof ds.root !== 'string') fail('dataset.root', 'must be a string');
  posInt(ds.numCases, 'dataset.numCases');
  if (!Array.isArray(p.labels) || p.labels.length < 2) fail('labels', 'must list at least background and one class');
  (p.labels as unknown[]).forEach((l, i) => {
    const o = obj(l, `labels[${i}]`);
    if (typeof o.name !== 'string') fail(`labels[${i}].name`, 'must be a string');
    num(o.value, `labels[${i}].value`, (n) => Number.isInteger(n) && n >= 0 && n <= 127, 'an integer in 0..127');
  });
  if (!Array.isArray(p.channels) || p.channels.length < 1) fail('channels', 'must list at least one channel');
  (p.channels as unknown[]).forEach((c, i) => {
    const f = `channels[${i}]`, o = obj(c, f);
    if (typeof o.name !== 'string') fail(`${f}.name`, 'must be a string');
    if (!NORMALIZATION_SCHEMES.includes(o.scheme as never)) fail(`${f}.scheme`, `must be one of ${NORMALIZATION_SCHEMES.join(', ')}, found ${JSON.stringify(o.scheme)}`);
    if (typeof o.useMask !== 'boolean') fail(`${f}.useMask`, 'must be true or false');
    const it = obj(o.intensity, `${f}.intensity`);
    for (const k of ['mean', 'std', 'median', 'min', 'max', 'percentile_00_5', 'percentile_99_5']) {
      // statistics of a channel without foreground are null; CT normalisation cannot work without them
      if ((it[k] === null || Number.isNaN(it[k])) && o.scheme !== 'CT') { it[k] = NaN; continue; }
      num(it[k], `${f}.intensity.${k}`);
    }
    if (o.foregroundPercentile005Normalized === null || Number.isNaN(o.foregroundPercentile005Normalized)) o.foregroundPercentile005Normalized = NaN;
    else num(o.foregroundPercentile005Normalized, `${f}.foregroundPercentile005Normalized`);
  });
  const tf = triple(p.transposeForward, 'transposeForward', (x, f) => num(x, f, Number.isInteger, 'an integer'));
  const tb = triple(p.transposeBackward, 'transposeBackward', (x, f) => num(x, f, Number.isInteger, 'an integer'));
  if (!isPermutation3(tf)) fail('transposeForward', 'must be a permutation of [0, 1, 2]');
  if (!tb.every((b, a) => tf[b] === a)) fail('transposeBackward', 'must be the inverse of transposeForward');
  triple(p.targetSpacing, 'targetSpacing', positive);
  triple(p.medianSpacing, 'medianSpacing', positive);
  triple(p.medianShape, 'medianShape', posInt);
  num(p.medianRelativeSizeAfterCropping, 'medianRelativeSizeAfterCropping');
  const rs = obj(p.resampling, 'resampling');
  for (const k of ['image', 'label', 'probabilities']) {
    const o = obj(rs[k], `resampling.${k}`);
    order(o.order, `resampling.${k}.order`); order(o.orderZ, `resampling.${k}.orderZ`);
  }
  positive(rs.anisotropyThreshold, 'resampling.anisotropyThreshold');
  const fs = obj(p.foregroundSampling, 'foregroundSampling');
  posInt(fs.samplesPerClass, 'foregroundSampling.samplesPerClass');
  num(fs.minCoverage, 'foregroundSampling.minCoverage', (n) => n >= 0 && n <= 1, 'a number in [0, 1]');
  num(fs.seed, 'foregroundSampling.seed', Number.isInteger, 'an integer');
  const numPools = num(p.numPools, 'numPools', (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');
  const patch = triple(p.patchSize, 'patchSize', posInt);
  patch.forEach((n, i) => { if (n % 2 ** numPools) fail(`patchSize[${i}]`, `= ${n} must be a multiple of 2^numPools = ${2 ** numPools}`); });
  posInt(p.batchSize, 'batchSize');
  posInt(p.voxelBudget, 'voxelBudget');
  return p as unknown as Plan;
}
