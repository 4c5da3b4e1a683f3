/**
 * Which prediction goes with which reference. References come from a dataset folder (MSD or nnU-Net
 * v2: its training cases' label files, and its declared labels) or from a plain folder of NIfTI files;
 * predictions are the NIfTI files of a folder, named as the case ('<case id>.nii.gz', nnU-Net's way).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readDataset, type Dataset } from '../data/dataset/dataset.js';
import { niftiEnding } from '../data/dataset/dataset_json.js';
import { EvaluationError, labelClass, type EvalClass } from './label_map.js';
import { missingFileReason } from '../util/missing_file.js';

export interface CasePair { id: string; prediction: string; reference: string }

export interface Pairing {
  pairs: CasePair[];
  /** References without a prediction. */
  missing: { id: string; reference: string }[];
  /** Prediction files without a reference (not evaluated). */
  unmatched: string[];
}

export interface ReferenceSet {
  /** Case id -> reference label file, in case order. */
  files: Map<string, string>;
  /** The dataset the references belong to, when REFERENCES is a dataset folder. */
  dataset?: Dataset;
}

/** NIfTI files of a folder by case id (file name without .nii/.nii.gz). Throws naming the folder. */
export function niftiFilesById(folder: string): Map<string, string> {
  const dir = resolve(folder);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new EvaluationError(`${dir}: no such folder`);
  const out = new Map<string, string>();
  for (const name of readdirSync(dir).sort()) {
    const ending = niftiEnding(name);
    if (!ending) continue;
    let isFile: boolean;
    try { isFile = statSync(join(dir, name)).isFile(); } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // listed but not there: a symbolic link to a file that is gone
      throw new EvaluationError(`${join(dir, name)}: ${code === 'ENOENT' || code === 'ELOOP' ? missingFileReason(join(dir, name)) : (err as Error).message}`);
    }
    if (!isFile) continue;
    const id = name.slice(0, -ending.length);
    if (out.has(id)) throw new EvaluationError(`${dir}: two files for case '${id}' (${out.get(id)} and ${join(dir, name)})`);
    out.set(id, join(dir, name));
  }
  return out;
}

/** References from a dataset folder (one with dataset.json) or a folder of label files. */
export function readReferences(path: string): ReferenceSet {
  const dir = resolve(path);
  if (existsSync(join(dir, 'dataset.json'))) {
    const dataset = readDataset(dir);
    const files = new Map<string, string>();
    for (const c of dataset.cases) if (c.label) files.set(c.id, c.label);
    return { files, dataset };
  }
  return { files: niftiFilesById(dir) };
}

export function pairCases(predictions: Map<string, string>, references: Map<string, string>): Pairing {
  const pairs: CasePair[] = [];
  const missing: Pairing['missing'] = [];
  for (const [id, reference] of references) {
    const prediction = predictions.get(id);
    if (prediction) pairs.push({ id, prediction, reference });
    else missing.push({ id, reference });
  }
  const unmatched = [...predictions].filter(([id]) => !references.has(id)).map(([, path]) => path);
  return { pairs, missing, unmatched };
}

/**
 * The foreground classes a dataset declares (background 0 and nnU-Net's 'ignore' label left out);
 * region labels become region classes.
 */
export function datasetClasses(dataset: Dataset): EvalClass[] {
  return dataset.labels
    .filter((l) => l.name.toLowerCase() !== 'ignore' && !(l.region ? l.region.every((v) => v === 0) : l.value === 0))
    .map((l) => labelClass(l.region ?? [l.value], l.name));
}
