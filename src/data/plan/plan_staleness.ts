/**
 * Whether a plan still describes its dataset: the plan keeps a hash of the dataset's files (sizes
 * and mtimes, dataset/case_sources.ts) it was made from, the fingerprint beside it the files
 * themselves, so what changed can be named. A plan without that hash (older pspseg) cannot tell.
 */
import { readFile } from 'node:fs/promises';
import { type DatasetSources, datasetSourcesHash, describeSourceChanges, statDatasetSources } from '../dataset/case_sources.js';
import type { DatasetLike } from './plan.js';
import type { Plan } from './plan_schema.js';

/** The sources recorded in a fingerprint.json, if it has them. */
export async function readFingerprintSources(path: string): Promise<DatasetSources | undefined> {
  try {
    const fp = JSON.parse(await readFile(path, 'utf8')) as { sources?: DatasetSources };
    return fp.sources && Array.isArray(fp.sources.cases) ? fp.sources : undefined;
  } catch {
    return undefined;
  }
}

/**
 * null when the plan was made from the dataset's current files (or cannot tell); else what changed,
 * one line each (named when `fingerprintPath` holds the sources the plan was made from).
 */
export async function planStaleness(plan: Plan, dataset: DatasetLike, fingerprintPath?: string): Promise<string[] | null> {
  const recorded = plan.dataset.sourcesHash;
  if (!recorded) return null;
  const now = await statDatasetSources(dataset);
  if (datasetSourcesHash(now) === recorded) return null;
  const before = fingerprintPath ? await readFingerprintSources(fingerprintPath) : undefined;
  const lines = before && datasetSourcesHash(before) === recorded ? describeSourceChanges(before, now) : [];
  return lines.length ? lines : ['the dataset\'s files changed'];
}
