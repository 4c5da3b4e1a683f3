/**
 * `pspseg dataset`: loose files to an nnU-Net v2 dataset that `check` passes. Pairing by equal names,
 * by an image name plus a suffix, by what a pattern's * matched, and by channel; labels found in
 * the files and named as asked; one file ending; an existing dataset is not replaced silently.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, lstatSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { dataset } from '../src/cli/commands/dataset.js';
import { checkDataset } from '../src/data/dataset/check.js';
import { readDataset } from '../src/data/dataset/dataset.js';
import { parseLabelNames } from '../src/data/dataset/dataset_build.js';
import { readNifti, writeNifti } from '../src/io/nifti.js';
import { HIPPOCAMPUS_DIR, requireData } from './helpers/shared_data.js';
import { tempDir } from './helpers.js';

const IDS = ['hippocampus_004', 'hippocampus_006', 'hippocampus_007'];
const hip = (sub: string, id: string) => join(HIPPOCAMPUS_DIR, sub, `${id}.nii.gz`);

async function run(args: string[]) {
  const out: string[] = [], err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  console.error = (...a: unknown[]) => { err.push(a.join(' ')); };
  try { return { code: await dataset.run(args), out: out.join('\n'), err: err.join('\n') }; } finally { [console.log, console.error] = [log, error]; }
}

test('folders with equal names: links, labels found and named, a dataset check passes', async (t) => {
  requireData();
  const root = tempDir(t);
  mkdirSync(join(root, 'img'));
  mkdirSync(join(root, 'seg'));
  for (const id of IDS) { copyFileSync(hip('imagesTr', id), join(root, 'img', `${id}.nii.gz`)); copyFileSync(hip('labelsTr', id), join(root, 'seg', `${id}.nii.gz`)); }
  const out = join(root, 'Hippo');
  const r = await run([out, '-i', join(root, 'img'), '-l', join(root, 'seg'), '--channel-names', 'T1', '--label-names', 'anterior,posterior', '--name', 'Hippo3']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /3 case\(s\), 1 channel\(s\), labels 0 background, 1 anterior, 2 posterior, file ending \.nii\.gz \(links\)/);
  const json = JSON.parse(readFileSync(join(out, 'dataset.json'), 'utf8'));
  assert.deepEqual(json, { ...json, name: 'Hippo3', channel_names: { 0: 'T1' }, labels: { background: 0, anterior: 1, posterior: 2 }, numTraining: 3, file_ending: '.nii.gz' });
  const link = join(out, 'imagesTr', `${IDS[0]}_0000.nii.gz`);
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.equal(readlinkSync(link), join(root, 'img', `${IDS[0]}.nii.gz`));
  const report = await checkDataset(out);
  assert.deepEqual([...report.errors, ...report.warnings], []);
  assert.deepEqual(readDataset(out).cases.map((c) => c.id), IDS);

  // not replaced without --force
  const again = await run([out, '-i', join(root, 'img'), '-l', join(root, 'seg')]);
  assert.equal(again.code, 2);
  assert.match(again.err, /is not empty \(it holds a dataset\.json\); choose another folder, or pass --force/);
  const forced = await run([out, '-i', join(root, 'img'), '-l', join(root, 'seg'), '--force']);
  assert.equal(forced.code, 0);
  assert.match(forced.out, /label value\(s\) 1, 2 found but not named: called label_1, label_2/);
});

test('image + suffix names, patterns per channel, nnU-Net channel suffixes; mismatches are named', async (t) => {
  requireData();
  const root = tempDir(t);
  for (const id of IDS.slice(0, 2)) {
    mkdirSync(join(root, 'cases', id), { recursive: true });
    copyFileSync(hip('imagesTr', id), join(root, 'cases', id, 't1.nii.gz'));
    copyFileSync(hip('imagesTr', id), join(root, 'cases', id, 't1_copy.nii.gz'));
    copyFileSync(hip('labelsTr', id), join(root, 'cases', id, 'mask.nii.gz'));
    copyFileSync(hip('imagesTr', id), join(root, `${id}_t1.nii.gz`));
    copyFileSync(hip('labelsTr', id), join(root, `${id}_t1_seg.nii.gz`));
  }
  // patterns: one per channel, paired by the case folder
  const two = join(root, 'two');
  const r = await run([two, '-i', join(root, 'cases', '*', 't1.nii.gz'), '-i', join(root, 'cases', '*', 't1_copy.nii.gz'), '-l', join(root, 'cases', '*', 'mask.nii.gz'), '--channel-names', 'T1,T1b']);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(readDataset(two).cases.map((c) => c.images.length), [2, 2]);
  assert.equal((await checkDataset(two)).ok, true);

  // single files: a label named like its image plus a suffix
  const files = join(root, 'files');
  const f = await run([files, '-i', join(root, `${IDS[0]}_t1.nii.gz`), '-i', join(root, `${IDS[1]}_t1.nii.gz`), '-l', join(root, `${IDS[1]}_t1_seg.nii.gz`), '-l', join(root, `${IDS[0]}_t1_seg.nii.gz`)]);
  assert.equal(f.code, 0, f.err);
  const ds = readDataset(files);
  assert.deepEqual(ds.cases.map((c) => c.id), [`${IDS[0]}_t1`, `${IDS[1]}_t1`]);
  assert.equal(readlinkSync(ds.cases[1]!.label!), join(root, `${IDS[1]}_t1_seg.nii.gz`), 'paired by name, not by order');

  // one folder of nnU-Net-named channels
  mkdirSync(join(root, 'nn'));
  for (const id of IDS.slice(0, 2)) for (const ch of ['0000', '0001']) copyFileSync(hip('imagesTr', id), join(root, 'nn', `${id}_${ch}.nii.gz`));
  const nn = await run([join(root, 'nnout'), '-i', join(root, 'nn'), '-l', join(root, 'cases', '*', 'mask.nii.gz'), '--channel-names', 'A,B']);
  assert.equal(nn.code, 0, nn.err);
  assert.deepEqual(readDataset(join(root, 'nnout')).cases.map((c) => c.id), IDS.slice(0, 2));

  const unpaired = await run([join(root, 'bad'), '-i', join(root, `${IDS[0]}_t1.nii.gz`), '-l', join(root, 'cases', '*', 'mask.nii.gz')]);
  assert.equal(unpaired.code, 2);
  assert.match(unpaired.err, /cannot pair 2 label file\(s\) with 1 case\(s\)/);
  const channels = await run([join(root, 'bad2'), '-i', join(root, 'cases', '*', 't1.nii.gz'), '-l', join(root, 'cases', '*', 'mask.nii.gz'), '--channel-names', 'A,B,C']);
  assert.equal(channels.code, 2);
  assert.match(channels.err, /3 channels: give --images once per channel/);
  assert.match((await run([join(root, 'bad3'), '-i', join(root, 'nothing', '*.nii.gz'), '-l', root])).err, /no NIfTI file matches this pattern/);
});

test('mixed .nii and .nii.gz need --copy, which compresses; float labels with fractions are refused', async (t) => {
  requireData();
  const root = tempDir(t);
  mkdirSync(join(root, 'img'));
  mkdirSync(join(root, 'seg'));
  writeFileSync(join(root, 'img', `${IDS[0]}.nii`), gunzipSync(readFileSync(hip('imagesTr', IDS[0]!))));
  copyFileSync(hip('imagesTr', IDS[1]!), join(root, 'img', `${IDS[1]}.nii.gz`));
  for (const id of IDS.slice(0, 2)) copyFileSync(hip('labelsTr', id), join(root, 'seg', `${id}.nii.gz`));
  const linked = await run([join(root, 'a'), '-i', join(root, 'img'), '-l', join(root, 'seg')]);
  assert.equal(linked.code, 2);
  assert.match(linked.err, /mix \.nii and \.nii\.gz.*pass --copy/);
  const copied = await run([join(root, 'b'), '-i', join(root, 'img'), '-l', join(root, 'seg'), '--copy']);
  assert.equal(copied.code, 0, copied.err);
  const written = join(root, 'b', 'imagesTr', `${IDS[0]}_0000.nii.gz`);
  assert.deepEqual(readFileSync(written).subarray(0, 2), Buffer.from([0x1f, 0x8b]), 'the .nii was compressed');
  assert.deepEqual((await readNifti(written)).data, (await readNifti(join(root, 'img', `${IDS[0]}.nii`))).data);
  assert.equal((await checkDataset(join(root, 'b'))).ok, true);

  const v = await readNifti(join(root, 'seg', `${IDS[0]}.nii.gz`));
  await writeNifti(join(root, 'seg', `${IDS[0]}.nii.gz`), { ...v, data: Float32Array.from(v.data as Uint8Array, (x) => x * 0.5), datatype: 'float32' });
  const frac = await run([join(root, 'c'), '-i', join(root, 'img'), '-l', join(root, 'seg'), '--copy']);
  assert.equal(frac.code, 2);
  assert.match(frac.err, /seg\/hippocampus_004\.nii\.gz: \d+ voxel\(s\) are not whole class numbers \(e\.g\. 0\.5\)/);
});

test('label names: plain names take the found values in order; VALUE=NAME is explicit; clashes are refused', () => {
  assert.deepEqual([...parseLabelNames('a,b', [0, 1, 3])], [[0, 'background'], [1, 'a'], [3, 'b']]);
  assert.deepEqual([...parseLabelNames('3=b,1=a', [0, 1, 3])], [[0, 'background'], [3, 'b'], [1, 'a']]);
  assert.throws(() => parseLabelNames('a', [0, 1, 3]), /1 name\(s\) for the 2 foreground value\(s\) found in the label files \(1, 3\)/);
  assert.throws(() => parseLabelNames('1=a,b', [0, 1, 2]), /either all VALUE=NAME or all plain names/);
  assert.throws(() => parseLabelNames('1=a,2=a', [0, 1, 2]), /'a' names both 1 and 2/);
  assert.throws(() => parseLabelNames('1=background', [0, 1]), /'background' is reserved for value 0; got 1=background/);
  assert.throws(() => parseLabelNames('0=bg,1=a', [0, 1]), /value 0 is 'background'/);
});

test('check on a folder of loose files points to pspseg dataset', async (t) => {
  requireData();
  const root = tempDir(t);
  copyFileSync(hip('imagesTr', IDS[0]!), join(root, 'ct.nii.gz'));
  copyFileSync(hip('labelsTr', IDS[0]!), join(root, 'ct_seg.nii.gz'));
  assert.throws(() => readDataset(root), /dataset\.json: not found: .* needs a dataset\.json \(this folder holds 2 loose NIfTI file\(s\)\); 'pspseg dataset OUT -i IMAGES -l LABELS' makes a dataset folder/);
});
