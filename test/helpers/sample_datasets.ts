/**
 * The bundled samples (CT, anisotropic, PSR orientation, int16 images, float labels, two-channel MRI)
 * are loose files: `layoutSample` lays one out as an nnU-Net v2 dataset of links to the read-only files.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataRoot } from '../helpers.js';

export interface SampleDataset {
  name: string;
  channels: string[];
  labels: Record<string, number>;
  cases: { images: string[]; label: string }[];
}

const s = (...p: string[]) => join(dataRoot, 'samples', ...p);
export const SAMPLES_DIR = s();
const brats = (c: string) => ({ images: [s('brats2015', c, 'Flair_subtrMeanDivStd.nii.gz'), s('brats2015', c, 'T1c_subtrMeanDivStd.nii.gz')], label: s('brats2015', c, 'OTMultiClass.nii.gz') });

export const samples: SampleDataset[] = [
  { name: 'SpleenCT', channels: ['CT'], labels: { background: 0, spleen: 1 }, cases: [{ images: [s('spleen_ct', 'spleen2_ct.nii.gz')], label: s('spleen_ct', 'spleen2_ct_seg.nii.gz') }] },
  { name: 'CordT1', channels: ['T1'], labels: { background: 0, cord: 1 }, cases: [{ images: [s('spinalcord', 't1', 't1w.nii.gz')], label: s('spinalcord', 't1', 't1w_seg-manual.nii.gz') }] },
  { name: 'CordT2Levels', channels: ['T2'], labels: { background: 0, C2: 2, C3: 3, C4: 4, C5: 5 }, cases: [{ images: [s('spinalcord', 't2', 't2.nii.gz')], label: s('spinalcord', 't2', 't2_seg-manual_labeled.nii.gz') }] },
  { name: 'CordT2sGM', channels: ['T2star'], labels: { background: 0, grey_matter: 1 }, cases: [{ images: [s('spinalcord', 't2s', 't2s.nii.gz')], label: s('spinalcord', 't2s', 't2s_gmseg_manual.nii.gz') }] },
  { name: 'Brats', channels: ['FLAIR', 'T1c'], labels: { background: 0, necrosis: 1, edema: 2, non_enhancing: 3, enhancing: 4 }, cases: [brats('brats_2013_pat0005_1'), brats('brats_2013_pat0006_1')] },
];

export function sample(name: string): SampleDataset {
  const d = samples.find((x) => x.name === name);
  if (!d) throw new Error(`no sample ${name}`);
  return d;
}

/** Writes root/<name>/ (imagesTr, labelsTr, dataset.json) and returns that folder. */
export function layoutSample(root: string, d: SampleDataset): string {
  const dir = join(root, d.name);
  mkdirSync(join(dir, 'imagesTr'), { recursive: true });
  mkdirSync(join(dir, 'labelsTr'), { recursive: true });
  d.cases.forEach((c, i) => {
    const id = `${d.name.toLowerCase()}_${String(i).padStart(3, '0')}`;
    c.images.forEach((img, ch) => symlinkSync(img, join(dir, 'imagesTr', `${id}_${String(ch).padStart(4, '0')}.nii.gz`)));
    symlinkSync(c.label, join(dir, 'labelsTr', `${id}.nii.gz`));
  });
  writeFileSync(join(dir, 'dataset.json'), JSON.stringify({
    name: d.name, channel_names: Object.fromEntries(d.channels.map((c, i) => [String(i), c])), labels: d.labels,
    numTraining: d.cases.length, file_ending: '.nii.gz',
  }));
  return dir;
}
