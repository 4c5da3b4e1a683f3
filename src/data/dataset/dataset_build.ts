/**
 * `pspseg dataset`: an nnU-Net v2 dataset folder from loose image and label files, as nnU-Net's
 * dataset conversion scripts make one: imagesTr/CASE_XXXX<ending> (one file per channel),
 * labelsTr/CASE<ending>, and dataset.json with the channel names, the labels found in the label
 * files (named as the user says), numTraining and file_ending. Files are linked (symbolic links to
 * the originals) or copied; a .nii among .nii.gz files is compressed when copying.
 */
import { copyFile, mkdir, readFile, readdir, realpath, rm, stat, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { readNifti } from '../../io/nifti.js';
import { writeFileAtomic } from '../../util/atomic_write.js';
import { missingFileReason } from '../../util/missing_file.js';
import { MAX_CLASS_VALUE } from '../common/labels.js';
import { scanLabelValues } from './check_values.js';
import { DatasetInputError, type PairedCase, caseIdOf, expandInput, pairCases } from './dataset_inputs.js';

export { DatasetInputError };

export interface BuildDatasetOptions {
  /** The dataset folder to make. */
  out: string;
  /** Image inputs: files, folders or `*` patterns; one per channel when there are several channels. */
  images: readonly string[];
  labels: readonly string[];
  /** Channel names in channel order (default one channel, 'image'). */
  channelNames?: readonly string[];
  /** 'tumour,edema' (the found foreground values in ascending order) or '1=tumour,2=edema'. */
  labelNames?: string;
  name?: string;
  /** Copy the files instead of linking them. */
  copy?: boolean;
  /** Replace the imagesTr/, labelsTr/ and dataset.json of an existing dataset in `out`. */
  force?: boolean;
}

export interface BuiltDataset {
  root: string;
  datasetJson: string;
  cases: { id: string; images: string[]; label: string; sources: string[] }[];
  /** dataset.json's labels: name -> value. */
  labels: Record<string, number>;
  fileEnding: string;
  /** Things the user should know (unnamed labels, named labels not found, a default channel name). */
  notes: string[];
}

/** '1=tumour,2=edema' or 'tumour,edema' (for the found foreground values, ascending) -> value -> name. */
export function parseLabelNames(text: string | undefined, found: readonly number[]): Map<number, string> {
  const names = new Map<number, string>([[0, 'background']]);
  if (!text) return names;
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  const explicit = parts.every((p) => /^\d+=/.test(p));
  if (!explicit && parts.some((p) => /^\d+=/.test(p))) throw new DatasetInputError(`--label-names: either all VALUE=NAME or all plain names, got '${text}'`);
  const foreground = found.filter((v) => v !== 0);
  if (!explicit && parts.length !== foreground.length) {
    throw new DatasetInputError(`--label-names: ${parts.length} name(s) for the ${foreground.length} foreground value(s) found in the label files (${foreground.join(', ') || 'none'}); name them as VALUE=NAME to be explicit`);
  }
  parts.forEach((p, i) => {
    const [value, name] = explicit ? [Number(p.slice(0, p.indexOf('='))), p.slice(p.indexOf('=') + 1).trim()] : [foreground[i]!, p];
    if (!name) throw new DatasetInputError(`--label-names: empty name in '${text}'`);
    if (value > MAX_CLASS_VALUE) throw new DatasetInputError(`--label-names: label value ${value} is outside 0..${MAX_CLASS_VALUE}`);
    if ((value === 0) !== (name === 'background')) throw new DatasetInputError(`--label-names: value 0 is 'background' (nnU-Net's rule), and 'background' is reserved for value 0; got ${value}=${name}`);
    names.set(value, name);
  });
  const seen = new Map<string, number>();
  for (const [v, n] of names) {
    if (seen.has(n)) throw new DatasetInputError(`--label-names: '${n}' names both ${seen.get(n)} and ${v}`);
    seen.set(n, v);
  }
  return names;
}

/** The label values of every label file; non-integer or out-of-range values are an error naming the file. */
async function labelValues(files: readonly string[]): Promise<number[]> {
  const values = new Set<number>();
  for (const path of files) {
    const scan = scanLabelValues((await readNifti(path)).data);
    if (scan.nonInteger || scan.nonFinite) {
      throw new DatasetInputError(`${path}: ${scan.nonInteger + scan.nonFinite} voxel(s) are not whole class numbers`
        + (scan.nonIntegerExamples.length ? ` (e.g. ${scan.nonIntegerExamples.map((v) => +v.toPrecision(6)).join(', ')})` : '') + '; is it a label file?');
    }
    for (const v of scan.counts.keys()) {
      if (v < 0 || v > MAX_CLASS_VALUE) throw new DatasetInputError(`${path}: label value ${v} is outside 0..${MAX_CLASS_VALUE}, which pspseg supports`);
      values.add(v);
    }
  }
  return [...values].sort((a, b) => a - b);
}

const gzipAsync = promisify(gzip);

async function place(src: string, dest: string, copy: boolean, compress: boolean): Promise<void> {
  if (compress) await writeFileAtomic(dest, [await gzipAsync(await readFile(src), { level: 1 })]);
  else if (copy) await copyFile(src, dest);
  else await symlink(await realpath(src), dest);
}

export async function buildDataset(o: BuildDatasetOptions): Promise<BuiltDataset> {
  const root = resolve(o.out);
  const datasetJson = join(root, 'dataset.json');
  const existing = await readdir(root).catch(() => [] as string[]);
  if (existing.length && !o.force) {
    throw new DatasetInputError(`${root} is not empty${existing.includes('dataset.json') ? ' (it holds a dataset.json)' : ''}; choose another folder, or pass --force to replace its imagesTr/, labelsTr/ and dataset.json`);
  }
  const notes: string[] = [];
  if (!o.images.length) throw new DatasetInputError('no images: give them with --images (files, folders or quoted patterns with *)');
  if (!o.labels.length) throw new DatasetInputError('no labels: give them with --labels (files, folders or quoted patterns with *)');
  if (!o.channelNames && o.images.length > 1) {
    // several inputs may be several channels or several batches of one channel: the user says which
    notes.push(`the ${o.images.length} --images inputs are all channel 0 ('image'); with several channels, name them with --channel-names`);
  }
  const channelNames = o.channelNames?.length ? [...o.channelNames] : ['image'];
  if (!o.channelNames?.length) notes.push("channel 0 is named 'image' (z-score normalisation); name a CT channel 'CT' (--channel-names CT) to get CT normalisation");
  const stripSuffix = channelNames.length > 1 && o.images.length !== channelNames.length;
  const cases: PairedCase[] = pairCases(o.images.map((i) => expandInput(i, stripSuffix)), o.labels.map((l) => expandInput(l, false)), channelNames.length);

  const endings = new Set(cases.flatMap((c) => [...c.images, c.label].map((f) => f.ending.toLowerCase())));
  if (endings.size > 1 && !o.copy) {
    throw new DatasetInputError('the files mix .nii and .nii.gz; an nnU-Net dataset has one file ending: pass --copy (the .nii files are then compressed)');
  }
  const fileEnding = endings.size > 1 ? '.nii.gz' : [...endings][0]!;
  const ids = new Map<string, string>();
  for (const c of cases) {
    const id = caseIdOf(c.key);
    if (ids.has(id)) throw new DatasetInputError(`cases '${ids.get(id)}' and '${c.key}' both become case id '${id}'`);
    ids.set(id, c.key);
  }

  const found = await labelValues(cases.map((c) => c.label.path));
  const names = parseLabelNames(o.labelNames, found);
  const unnamed = found.filter((v) => !names.has(v));
  for (const v of unnamed) names.set(v, `label_${v}`);
  if (unnamed.length) notes.push(`label value(s) ${unnamed.join(', ')} found but not named: called ${unnamed.map((v) => `label_${v}`).join(', ')} (--label-names names them)`);
  const missing = [...names.keys()].filter((v) => v !== 0 && !found.includes(v));
  if (missing.length) notes.push(`label value(s) ${missing.join(', ')} named but found in no label file`);
  const labels = Object.fromEntries([...names].sort((a, b) => a[0] - b[0]).map(([v, n]) => [n, v]));

  for (const sub of ['imagesTr', 'labelsTr']) {
    await rm(join(root, sub), { recursive: true, force: true });
    await mkdir(join(root, sub), { recursive: true });
  }
  const built: BuiltDataset['cases'] = [];
  for (const c of cases) {
    const id = caseIdOf(c.key);
    const images = c.images.map((_, ch) => join(root, 'imagesTr', `${id}_${String(ch).padStart(4, '0')}${fileEnding}`));
    const label = join(root, 'labelsTr', `${id}${fileEnding}`);
    const all = [...c.images, c.label];
    const dests = [...images, label];
    for (let k = 0; k < all.length; k++) {
      const st = await stat(all[k]!.path).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ELOOP') throw new DatasetInputError(`${all[k]!.path}: ${missingFileReason(all[k]!.path)}`);
        throw err;
      });
      if (!st.isFile()) throw new DatasetInputError(`${all[k]!.path}: not a file`);
      await place(all[k]!.path, dests[k]!, Boolean(o.copy), all[k]!.ending.toLowerCase() !== fileEnding);
    }
    built.push({ id, images, label, sources: all.map((f) => f.path) });
  }
  const json = {
    name: o.name ?? root.split(/[\\/]/).pop(),
    description: `made by pspseg dataset from ${[...o.images, ...o.labels].join(', ')}`,
    channel_names: Object.fromEntries(channelNames.map((n, i) => [String(i), n])),
    labels,
    numTraining: built.length,
    file_ending: fileEnding,
  };
  await writeFileAtomic(datasetJson, [`${JSON.stringify(json, null, 2)}\n`]);
  return { root, datasetJson, cases: built, labels, fileEnding, notes };
}
