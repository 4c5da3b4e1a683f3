/**
 * Preprocessed cases (.pspcase files, preprocess/preprocess_dataset.ts) as the sampler's CaseArrays. The file stores the
 * image channels back to back, so the adapter takes a view on them instead of copying.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readCaseFile } from '../preprocess/case_file.js';
import type { ManifestEntry } from '../preprocess/preprocess_dataset.js';
import type { PreprocessedCase } from '../preprocess/preprocess_case.js';
import { markOutsideBody } from '../common/labels.js';
import { type CaseArrays, caseArraysFromChannels } from './patch_sampler.js';

/** One preprocessed case (with its label) as CaseArrays; zero-copy when its channels are adjacent in one buffer. */
export function caseArraysFromPreprocessed(c: PreprocessedCase): CaseArrays {
  const p = c.properties;
  if (!c.label) throw new Error(`case ${p.id}: no label (a test case cannot be used for training)`);
  const n = p.shape[0] * p.shape[1] * p.shape[2];
  const first = c.images[0];
  if (!first) throw new Error(`case ${p.id}: no image channels`);
  const adjacent = c.images.every((im, ch) => im.buffer === first.buffer && im.length === n && im.byteOffset === first.byteOffset + ch * n * 4);
  if (!adjacent) return caseArraysFromChannels(p.id, c.images, p.shape, c.label, c.classLocations);
  return {
    key: p.id, shape: [c.images.length, ...p.shape], label: markOutsideBody(c.label), classLocations: c.classLocations,
    image: new Float32Array(first.buffer, first.byteOffset, c.images.length * n),
  };
}

/** Reads the cases listed in a preprocessed folder's cases.json (all, or those in `ids`). */
export async function loadTrainingCases(dir: string, ids?: readonly string[]): Promise<CaseArrays[]> {
  const manifest = JSON.parse(await readFile(join(dir, 'cases.json'), 'utf8')) as { planHash: string; cases: ManifestEntry[] };
  const wanted = ids ? new Set(ids) : null;
  const entries = manifest.cases.filter((e) => !wanted || wanted.has(e.id));
  if (wanted && entries.length !== wanted.size) {
    const missing = [...wanted].filter((id) => !entries.some((e) => e.id === id));
    throw new Error(`${dir}: no preprocessed file for case(s) ${missing.join(', ')}`);
  }
  return Promise.all(entries.map(async (e) => {
    const c = await readCaseFile(join(dir, e.file));
    // An interrupted re-run with another plan can leave files of two plans behind an old manifest.
    if (c.properties.planHash !== manifest.planHash)
      throw new Error(`${join(dir, e.file)}: made with plan ${c.properties.planHash}, but cases.json lists plan ${manifest.planHash}; run 'pspseg preprocess' again`);
    return caseArraysFromPreprocessed(c);
  }));
}
