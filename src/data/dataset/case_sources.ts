/**
 * What a case was made from: its files' paths, sizes and modification times. Everything derived from
 * a case (its check result, its preprocessed file, the fingerprint and plan of the dataset) records
 * these, and is redone when they change.
 *
 * Why size + mtime and not a content hash: a stat costs microseconds, a hash reads the whole file
 * (a BraTS case is ~100 MB decompressed), and the cache exists to avoid reading. Every way of
 * repairing a file (an editor, a script, copying a fixed file over) gives it a new mtime. What this
 * misses, a file replaced by one of the same size with its old mtime restored (`cp -p`, `touch -r`),
 * `--force` redoes. Symbolic links are followed: the target's stat counts.
 */
import { stat } from 'node:fs/promises';
import { linkTarget, missingFileReason } from '../../util/missing_file.js';
import { shortHash } from '../common/short_hash.js';

export interface SourceFile {
  path: string;
  /** Bytes; -1 when the file is missing. */
  size: number;
  /** Modification time in ms (fractional: sub-millisecond precision where the file system has it). */
  mtimeMs: number;
}

export async function statSource(path: string): Promise<SourceFile> {
  const s = await stat(path).catch(() => undefined);
  return s?.isFile() ? { path, size: s.size, mtimeMs: s.mtimeMs } : { path, size: -1, mtimeMs: 0 };
}

/** The case's files in a fixed order: images (channel order), then the label. */
export async function statCaseSources(c: { images: readonly string[]; label?: string }): Promise<SourceFile[]> {
  return Promise.all([...c.images, ...(c.label ? [c.label] : [])].map(statSource));
}

export function sameSources(a: readonly SourceFile[] | undefined, b: readonly SourceFile[] | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  return a.every((f, i) => f.path === b[i]!.path && f.size === b[i]!.size && f.mtimeMs === b[i]!.mtimeMs);
}

/** The files of `now` that differ from `before` (or are new), for messages. */
export function changedFiles(before: readonly SourceFile[] | undefined, now: readonly SourceFile[]): SourceFile[] {
  const old = new Map((before ?? []).map((f) => [f.path, f]));
  return now.filter((f) => { const o = old.get(f.path); return !o || o.size !== f.size || o.mtimeMs !== f.mtimeMs; });
}

/** The sources of a whole dataset: its dataset.json and every training case's files. */
export interface DatasetSources {
  datasetJson?: SourceFile;
  cases: { id: string; files: SourceFile[] }[];
}

export async function statDatasetSources(dataset: { datasetJson?: string; cases: readonly { id: string; images: readonly string[]; label?: string }[] }): Promise<DatasetSources> {
  return {
    ...(dataset.datasetJson ? { datasetJson: await statSource(dataset.datasetJson) } : {}),
    cases: await Promise.all(dataset.cases.map(async (c) => ({ id: c.id, files: await statCaseSources(c) }))),
  };
}

export function datasetSourcesHash(s: DatasetSources): string {
  return shortHash(s);
}

/** 'is missing', or for a dangling symbolic link which target is. */
const missingText = (path: string): string => (linkTarget(path) ? `is a ${missingFileReason(path)}` : 'is missing');

/** What changed from `before` to `now`, one line per case or file, at most `limit` lines. */
export function describeSourceChanges(before: DatasetSources, now: DatasetSources, limit = 10): string[] {
  const out: string[] = [];
  if (before.datasetJson && now.datasetJson && changedFiles([before.datasetJson], [now.datasetJson]).length) out.push(`${now.datasetJson.path} changed`);
  const old = new Map(before.cases.map((c) => [c.id, c.files]));
  const ids = new Set(now.cases.map((c) => c.id));
  for (const c of now.cases) {
    const files = old.get(c.id);
    if (!files) { out.push(`case ${c.id} is new`); continue; }
    for (const f of changedFiles(files, c.files)) out.push(`case ${c.id}: ${f.path} ${f.size < 0 ? missingText(f.path) : 'changed'}`);
  }
  for (const c of before.cases) if (!ids.has(c.id)) out.push(`case ${c.id} is gone`);
  return out.length > limit ? [...out.slice(0, limit), `... and ${out.length - limit} more`] : out;
}
