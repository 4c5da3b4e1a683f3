/**
 * One in-memory description of a segmentation dataset, read from either of the two common layouts:
 * Medical Segmentation Decathlon (MSD, also nnU-Net v1) and nnU-Net v2. Reading lists files only;
 * it neither opens images nor requires them to exist (`check` reports what is missing).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatasetError } from './dataset_error.js';
import { readMsdDataset } from './dataset_msd.js';
import { readNnunetV2Dataset } from './dataset_nnunet.js';
import type { Dataset } from './dataset_types.js';

export { DatasetError } from './dataset_error.js';
export type { Dataset, DatasetCase, DatasetLabel, DatasetLayout } from './dataset_types.js';

/** Reads the dataset in folder `path` (or described by the dataset.json file `path`). Throws DatasetError. */
export function readDataset(path: string): Dataset {
  const { root, file } = locate(path);
  const json = parseJson(file);
  if ('channel_names' in json) return readNnunetV2Dataset(root, file, json);
  if ('modality' in json) return readMsdDataset(root, file, json);
  throw new DatasetError(file,
    "neither an nnU-Net v2 dataset.json ('channel_names', 'labels', 'file_ending') nor an MSD one ('modality', 'labels', 'training')");
}

/** Every label value a label file may contain: declared values plus the members of regions. */
export function declaredLabelValues(dataset: Dataset): Set<number> {
  const values = new Set<number>([0]);
  for (const label of dataset.labels) {
    if (label.region) label.region.forEach((v) => values.add(v));
    else values.add(label.value);
  }
  return values;
}

function locate(path: string): { root: string; file: string } {
  const abs = resolve(path);
  let isFile: boolean;
  try { isFile = statSync(abs).isFile(); } catch {
    throw new DatasetError(abs, 'no such dataset folder or dataset.json');
  }
  const root = isFile ? resolve(abs, '..') : abs;
  const file = isFile ? abs : join(abs, 'dataset.json');
  if (!isFile && !statSync(file, { throwIfNoEntry: false })?.isFile()) {
    const loose = readdirSync(abs).filter((n) => /\.nii(\.gz)?$/i.test(n)).length;
    throw new DatasetError(file, `not found: a dataset folder (MSD or nnU-Net v2 layout) needs a dataset.json${loose ? ` (this folder holds ${loose} loose NIfTI file(s))` : ''}; `
      + "'pspseg dataset OUT -i IMAGES -l LABELS' makes a dataset folder from image and label files");
  }
  if (isFile && !abs.endsWith('.json')) {
    throw new DatasetError(abs, 'expected a dataset folder or its dataset.json');
  }
  return { root, file };
}

function parseJson(file: string): Record<string, unknown> {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (err) {
    throw new DatasetError(file, `cannot read: ${(err as Error).message}`);
  }
  let json: unknown;
  try { json = JSON.parse(text); } catch (err) {
    throw new DatasetError(file, `invalid JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new DatasetError(file, 'must hold a JSON object');
  }
  return json as Record<string, unknown>;
}
