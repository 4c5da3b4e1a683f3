/**
 * Cross-validation splits, exactly as nnU-Net v2 makes them: sklearn's KFold(n_splits=5,
 * shuffle=True, random_state=12345) over the sorted case ids (numpy's legacy RandomState shuffle),
 * and, for a fold number past the split file, nnU-Net's seeded random 80:20 split. Stored as an
 * editable splits.json (nnU-Net's format: a list of {train, val}); an edited file is respected.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic_write.js';
import { NumpyRandomState } from '../util/numpy_random.js';

export const SPLITS_FILE = 'splits.json';
export const SPLIT_SEED = 12345;
export const NUM_FOLDS = 5;

export interface Split { train: string[]; val: string[] }
export type Fold = number | 'all';

const splitsSchema = z.array(z.object({ train: z.array(z.string()), val: z.array(z.string()) }).strict());

/** numpy's string order (by code point; JavaScript's default compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const x = [...a], y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d) return d;
  }
  return x.length - y.length;
}

const sorted = (ids: readonly string[]): string[] => [...ids].sort(compareCodePoints);

/**
 * KFold over the sorted ids: fold sizes n // k, the first n % k folds one larger; train and val
 * each in ascending order. Fewer than 5 cases (KFold would refuse): one fold per case.
 */
export function crossValidationSplits(ids: readonly string[], seed = SPLIT_SEED, nSplits = NUM_FOLDS): Split[] {
  const keys = sorted(ids);
  const n = keys.length;
  if (n < 2) throw new Error(`cross-validation needs at least two cases, found ${n}`);
  const k = Math.min(nSplits, n);
  const order = new NumpyRandomState(seed).permutation(n);
  const out: Split[] = [];
  let start = 0;
  for (let f = 0; f < k; f++) {
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
    const inVal = new Set(order.slice(start, start + size));
    out.push({ train: keys.filter((_, i) => !inVal.has(i)), val: keys.filter((_, i) => inVal.has(i)) });
    start += size;
  }
  return out;
}

/** nnU-Net's fallback for a fold the split file does not have: RandomState(12345 + fold), 80% drawn for training. */
export function randomSplit(ids: readonly string[], fold: number): Split {
  const keys = sorted(ids);
  const trainIdx = new NumpyRandomState(SPLIT_SEED + fold).choiceWithoutReplacement(keys.length, Math.floor(keys.length * 0.8));
  const inTrain = new Set(trainIdx);
  return { train: trainIdx.map((i) => keys[i]!), val: keys.filter((_, i) => !inTrain.has(i)) };
}

export class SplitsFileError extends Error {
  constructor(readonly path: string, problem: string) { super(`${path}: ${problem}`); this.name = 'SplitsFileError'; }
}

/** Reads and checks a splits.json against the dataset's case ids. */
export async function loadSplits(path: string, caseIds: readonly string[]): Promise<Split[]> {
  let raw: unknown;
  try { raw = JSON.parse(await readFile(path, 'utf8')); } catch (err) {
    throw new SplitsFileError(path, err instanceof SyntaxError ? `not valid JSON: ${err.message}` : (err as Error).message);
  }
  const parsed = splitsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SplitsFileError(path, `${issue.path.length ? `[${issue.path.join('][')}]` : 'the file'}: ${issue.message} (expected a list of {"train": [ids], "val": [ids]})`);
  }
  const known = new Set(caseIds);
  parsed.data.forEach((s, f) => {
    for (const part of ['train', 'val'] as const) {
      if (s[part].length === 0) throw new SplitsFileError(path, `fold ${f} has no ${part === 'val' ? 'validation' : 'training'} cases`);
      const unknown = s[part].filter((id) => !known.has(id));
      if (unknown.length) throw new SplitsFileError(path, `fold ${f} ${part} lists case(s) that are not preprocessed: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''}`);
    }
  });
  return parsed.data;
}

export async function saveSplits(path: string, splits: Split[]): Promise<void> {
  await writeFileAtomic(path, [`${JSON.stringify(splits, null, 4)}\n`]);
}

export interface FoldCases extends Split {
  /** Where the split came from, for the log. */
  source: string;
}

/**
 * The training and validation cases of `fold`. 'all' trains and validates on every case (as
 * nnU-Net). Otherwise the split file is read, or created when missing.
 */
export async function foldCases(splitsPath: string, caseIds: readonly string[], fold: Fold, o: { save?: boolean } = {}): Promise<FoldCases> {
  if (fold === 'all') { const all = sorted(caseIds); return { train: all, val: all, source: 'all cases (fold all)' }; }
  if (!Number.isInteger(fold) || fold < 0) throw new Error(`fold must be a non-negative integer or 'all', got ${fold}`);
  if (caseIds.length < 2)
    throw new Error(`a validation fold needs at least two cases, but this dataset has ${caseIds.length}; train with --fold all (trains and validates on every case)`);
  let splits: Split[];
  if (existsSync(splitsPath)) splits = await loadSplits(splitsPath, caseIds);
  else { splits = crossValidationSplits(caseIds); if (o.save ?? true) await saveSplits(splitsPath, splits); }
  if (fold < splits.length) return { ...splits[fold]!, source: `${splitsPath}, fold ${fold}` };
  return { ...randomSplit(caseIds, fold), source: `a seeded random 80:20 split (${splitsPath} has ${splits.length} folds)` };
}
