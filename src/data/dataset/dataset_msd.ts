/**
 * Medical Segmentation Decathlon layout (also nnU-Net v1): dataset.json with 'modality' (channel
 * names), 'labels' ({"0": "background", ...}), 'training' ([{image, label}], paths relative to the
 * dataset folder like "./imagesTr/x.nii.gz") and 'test' (image paths). Multi-channel images are 4D.
 */
import { readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Dataset, DatasetCase, DatasetLabel } from './dataset_types.js';
import { DatasetError } from './dataset_error.js';
import { channelNamesField, niftiEnding, objectField, optionalCount, optionalString, stripEnding, type Json } from './dataset_json.js';

export function readMsdDataset(root: string, file: string, json: Json): Dataset {
  const channelNames = channelNamesField(file, json, 'modality');
  const labels = msdLabels(file, json);
  if (!Array.isArray(json.training)) throw new DatasetError(file, "'training' must be a list of {image, label}");
  const cases = json.training.map((entry: unknown, i: number): DatasetCase => {
    const e = entry as Json | null;
    if (!e || typeof e.image !== 'string' || typeof e.label !== 'string') {
      throw new DatasetError(file, `'training[${i}]' must be {"image": path, "label": path}`);
    }
    return { id: caseId(e.image), images: [resolve(root, e.image)], channelInFile: '4d', label: resolve(root, e.label) };
  });
  const testList = Array.isArray(json.test) ? json.test : [];
  const testCases = testList.map((entry: unknown, i: number): DatasetCase => {
    const image = typeof entry === 'string' ? entry : (entry as Json | null)?.image;
    if (typeof image !== 'string') throw new DatasetError(file, `'test[${i}]' must be an image path`);
    return { id: caseId(image), images: [resolve(root, image)], channelInFile: '4d' };
  });
  checkUniqueIds(file, cases);
  return {
    root,
    datasetJson: file,
    name: optionalString(json, 'name') ?? basename(root),
    description: optionalString(json, 'description'),
    layout: 'msd',
    channelNames,
    labels,
    fileEnding: niftiEnding(cases[0]?.images[0] ?? '') || '.nii.gz',
    cases,
    testCases,
    numTraining: optionalCount(file, json, 'numTraining'),
    strayFiles: strayFiles(root, cases),
    json,
  };
}

/** {"0": "background", "1": "tumour"}; the inverted {"background": 0} form is accepted too. */
function msdLabels(file: string, json: Json): DatasetLabel[] {
  const labels = Object.entries(objectField(file, json, 'labels')).map(([k, v]): DatasetLabel => {
    if (typeof v === 'string' && /^\d+$/.test(k)) return { name: v, value: Number(k) };
    if (Number.isInteger(v) && (v as number) >= 0) return { name: k, value: v as number };
    throw new DatasetError(file, `'labels' entry ${JSON.stringify(k)}: ${JSON.stringify(v)} must map a label value to a name`);
  });
  labels.sort((a, b) => a.value - b.value);
  labels.forEach((l, i) => {
    if (i > 0 && l.value === labels[i - 1]!.value) throw new DatasetError(file, `'labels' declares value ${l.value} twice`);
  });
  return labels;
}

function caseId(path: string): string {
  const name = basename(path);
  return stripEnding(name, niftiEnding(name));
}

function checkUniqueIds(file: string, cases: DatasetCase[]): void {
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.id)) throw new DatasetError(file, `case '${c.id}' is listed twice in 'training'`);
    seen.add(c.id);
  }
}

/** Image files in imagesTr/ and labelsTr/ that no training case lists (hidden files ignored). */
function strayFiles(root: string, cases: DatasetCase[]): string[] {
  const listed = new Set(cases.flatMap((c) => [...c.images, c.label ?? '']));
  const stray: string[] = [];
  for (const folder of ['imagesTr', 'labelsTr']) {
    let names: string[];
    try { names = readdirSync(join(root, folder)); } catch { continue; }
    for (const name of names.sort()) {
      const path = join(root, folder, name);
      if (!name.startsWith('.') && niftiEnding(name) && !listed.has(path)) stray.push(path);
    }
  }
  return stray;
}
