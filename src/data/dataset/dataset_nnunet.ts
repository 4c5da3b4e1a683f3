/**
 * nnU-Net v2 layout: dataset.json with 'channel_names', 'labels' ({"background": 0, "a": 1} or region
 * lists {"whole": [1, 2, 3]} with 'regions_class_order'), 'file_ending' and 'numTraining'; images are
 * imagesTr/CASE_XXXX<ending> (one file per channel XXXX), labels labelsTr/CASE<ending>. An explicit
 * 'dataset' map {case: {images, label}} (paths relative to the folder) replaces the file scan.
 */
import { readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Dataset, DatasetCase, DatasetLabel } from './dataset_types.js';
import { DatasetError } from './dataset_error.js';
import { channelNamesField, objectField, optionalCount, optionalString, stripEnding, type Json } from './dataset_json.js';

export function readNnunetV2Dataset(root: string, file: string, json: Json): Dataset {
  const channelNames = channelNamesField(file, json, 'channel_names');
  const labels = nnunetLabels(file, json);
  const fileEnding = json.file_ending;
  if (typeof fileEnding !== 'string' || !fileEnding.startsWith('.')) {
    throw new DatasetError(file, "'file_ending' must be a file name ending such as \".nii.gz\"");
  }
  if (fileEnding !== '.nii.gz' && fileEnding !== '.nii') {
    throw new DatasetError(file, `file_ending '${fileEnding}' is not supported: pspseg reads NIfTI (.nii.gz, .nii)`);
  }
  const stray: string[] = [];
  const cases = 'dataset' in json
    ? explicitCases(root, file, json)
    : scanCases(join(root, 'imagesTr'), join(root, 'labelsTr'), fileEnding, channelNames.length, stray);
  const testCases = scanCases(join(root, 'imagesTs'), undefined, fileEnding, channelNames.length, []);
  return {
    root,
    datasetJson: file,
    name: optionalString(json, 'name') ?? basename(root),
    description: optionalString(json, 'description'),
    layout: 'nnunetv2',
    channelNames,
    labels,
    fileEnding,
    cases,
    testCases,
    numTraining: optionalCount(file, json, 'numTraining'),
    strayFiles: stray,
    json,
  };
}

function nnunetLabels(file: string, json: Json): DatasetLabel[] {
  const entries = Object.entries(objectField(file, json, 'labels'));
  const order = json.regions_class_order;
  let regionIndex = 0;
  const labels = entries.map(([name, v]): DatasetLabel => {
    if (Number.isInteger(v) && (v as number) >= 0) return { name, value: v as number };
    const region = Array.isArray(v) ? v : undefined;
    if (!region || region.length === 0 || !region.every((x) => Number.isInteger(x) && x >= 0)) {
      throw new DatasetError(file, `'labels.${name}' must be a non-negative integer or a list of them (a region)`);
    }
    // nnU-Net exports region i (in 'labels' order, background excluded) as regions_class_order[i].
    const exported = Array.isArray(order) && Number.isInteger(order[regionIndex]) ? (order[regionIndex] as number) : Math.max(...region);
    regionIndex++;
    return { name, value: region.length === 1 ? region[0] : exported, region: region as number[] };
  });
  const background = labels.find((l) => l.name === 'background');
  if (!background || background.value !== 0 || background.region && background.region.some((x) => x !== 0)) {
    throw new DatasetError(file, "'labels' must declare \"background\": 0");
  }
  return labels.sort((a, b) => a.value - b.value);
}

function explicitCases(root: string, file: string, json: Json): DatasetCase[] {
  const map = objectField(file, json, 'dataset');
  return Object.entries(map).map(([id, entry]): DatasetCase => {
    const e = entry as Json | null;
    const images = e?.images;
    if (!Array.isArray(images) || !images.every((p) => typeof p === 'string') || typeof e?.label !== 'string') {
      throw new DatasetError(file, `'dataset.${id}' must be {"images": [paths], "label": path}`);
    }
    return { id, images: images.map((p: string) => resolve(root, p)), channelInFile: 'separate', label: resolve(root, e.label) };
  });
}

/**
 * Cases from CASE_XXXX<ending> files in `imagesDir` plus, when given, CASE<ending> files in
 * `labelsDir`. A case seen in either folder gets every expected path, present or not, so missing
 * channels and labels surface in `check`. Other files go to `stray`.
 */
function scanCases(imagesDir: string, labelsDir: string | undefined, ending: string, nChannels: number, stray: string[]): DatasetCase[] {
  const ids = new Set<string>();
  for (const name of listFiles(imagesDir, ending)) {
    const m = /^(.+)_(\d{4})$/.exec(stripEnding(name, ending));
    if (m && Number(m[2]) < nChannels) ids.add(m[1]!);
    else stray.push(join(imagesDir, name));
  }
  if (labelsDir) for (const name of listFiles(labelsDir, ending)) ids.add(stripEnding(name, ending));
  return [...ids].sort().map((id) => ({
    id,
    images: Array.from({ length: nChannels }, (_, c) => join(imagesDir, `${id}_${String(c).padStart(4, '0')}${ending}`)),
    channelInFile: 'separate' as const,
    ...(labelsDir ? { label: join(labelsDir, id + ending) } : {}),
  }));
}

function listFiles(dir: string, ending: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => !d.name.startsWith('.') && d.name.endsWith(ending) && !d.isDirectory())
      .map((d) => d.name).sort();
  } catch {
    return [];
  }
}
