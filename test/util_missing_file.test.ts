/**
 * Dangling symbolic links among the input, dataset and prediction files: listed in their folder but
 * gone, they read as ENOENT. Every place that meets one names the link and its missing target
 * (src/util/missing_file.ts) instead of "file does not exist" or a raw "ENOENT: no such file or
 * directory, stat ...".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingFileReason } from '../src/util/missing_file.js';
import { readNifti, writeNifti } from '../src/io/nifti.js';
import { niftiFilesById } from '../src/eval/pairing.js';
import { buildDataset } from '../src/data/dataset/dataset_build.js';
import { checkDataset } from '../src/data/dataset/check.js';
import { listInputCases } from '../src/infer/input_cases.js';
import { describeSourceChanges, statDatasetSources } from '../src/data/dataset/case_sources.js';

const root = mkdtempSync(join(tmpdir(), 'pspseg-dangling-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

async function niftiAt(path: string, value = 1): Promise<void> {
  await writeNifti(path, {
    shape: [4, 4, 4], channels: 1, spacing: [1, 1, 1], affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
    orientation: 'RAS', data: new Uint8Array(64).fill(value), datatype: 'uint8',
  });
}

test('missingFileReason: a plain missing file, a link with an absolute or relative target, a chain, a loop', () => {
  const dir = join(root, 'reasons');
  mkdirSync(dir);
  assert.equal(missingFileReason(join(dir, 'plain.nii.gz')), 'file does not exist');
  symlinkSync('/nowhere/at/all.nii.gz', join(dir, 'abs.nii.gz'));
  assert.equal(missingFileReason(join(dir, 'abs.nii.gz')), 'symbolic link to /nowhere/at/all.nii.gz, which does not exist');
  symlinkSync('../moved/case.nii.gz', join(dir, 'rel.nii.gz'));
  assert.equal(missingFileReason(join(dir, 'rel.nii.gz')), `symbolic link to ../moved/case.nii.gz (${join(root, 'moved', 'case.nii.gz')}), which does not exist`);
  symlinkSync('abs.nii.gz', join(dir, 'chain.nii.gz'));
  assert.equal(missingFileReason(join(dir, 'chain.nii.gz')),
    `symbolic link to abs.nii.gz (${join(dir, 'abs.nii.gz')}), a symbolic link to /nowhere/at/all.nii.gz, which does not exist`);
  symlinkSync('loop_b', join(dir, 'loop_a'));
  symlinkSync('loop_a', join(dir, 'loop_b'));
  assert.match(missingFileReason(join(dir, 'loop_a')), /^symbolic link to loop_b \(\S+\), a symbolic link to loop_a \(\S+\): a loop of links$/);
});

test('dangling links: reading, evaluating, checking, building a dataset and predicting name the link and its target', async () => {
  const dir = join(root, 'files');
  mkdirSync(join(dir, 'images'), { recursive: true });
  mkdirSync(join(dir, 'labels'));
  await niftiAt(join(dir, 'images', 'a.nii.gz'));
  await niftiAt(join(dir, 'labels', 'a.nii.gz'));
  await niftiAt(join(dir, 'labels', 'b.nii.gz'));
  const gone = join(dir, 'moved_away', 'b.nii.gz');
  symlinkSync(gone, join(dir, 'images', 'b.nii.gz'));
  const said = new RegExp(`images/b\\.nii\\.gz: .*symbolic link to ${gone.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, which does not exist`);

  // reading it
  await assert.rejects(readNifti(join(dir, 'images', 'b.nii.gz')), said);
  // evaluate: the predictions folder (was a raw "ENOENT: no such file or directory, stat ...")
  assert.throws(() => niftiFilesById(join(dir, 'images')), said);
  // pspseg dataset: an image input that is a dangling link (was the raw stat ENOENT as well)
  await assert.rejects(buildDataset({ out: join(dir, 'built'), images: [join(dir, 'images')], labels: [join(dir, 'labels')] }), said);
  await assert.rejects(buildDataset({ out: join(dir, 'built1'), images: [join(dir, 'images', 'b.nii.gz')], labels: [join(dir, 'labels', 'b.nii.gz')] }), said);
  // pspseg predict: a folder with it (the case fails later, reading) and the link given by name
  assert.deepEqual(listInputCases([join(dir, 'images')], 1).map((c) => c.id), ['a', 'b']);
  assert.throws(() => listInputCases([join(dir, 'images', 'b.nii.gz')], 1), /b\.nii\.gz: input is a symbolic link to \S+moved_away\/b\.nii\.gz, which does not exist/);

  // pspseg check: a dataset whose imagesTr holds links (as pspseg dataset makes them) to a file that moved
  const ds = join(dir, 'ds');
  mkdirSync(join(ds, 'imagesTr'), { recursive: true });
  mkdirSync(join(ds, 'labelsTr'));
  for (const id of ['a', 'b']) copyFileSync(join(dir, 'labels', `${id}.nii.gz`), join(ds, 'labelsTr', `${id}.nii.gz`));
  symlinkSync(join(dir, 'images', 'a.nii.gz'), join(ds, 'imagesTr', 'a_0000.nii.gz'));
  symlinkSync(join(dir, 'images', 'b.nii.gz'), join(ds, 'imagesTr', 'b_0000.nii.gz')); // a link to the dangling link
  writeFileSync(join(ds, 'dataset.json'), JSON.stringify({
    channel_names: { 0: 'CT' }, labels: { background: 0, organ: 1 }, numTraining: 2, file_ending: '.nii.gz',
  }));
  const report = await checkDataset(ds, { concurrency: 1 });
  const missing = report.errors.filter((p) => p.code === 'missing-file');
  assert.equal(missing.length, 1);
  assert.equal(missing[0]!.caseId, 'b');
  assert.equal(missing[0]!.message, `symbolic link to ${join(dir, 'images', 'b.nii.gz')}, a symbolic link to ${gone}, which does not exist`);

  // pspseg preprocess: the plan was made while the target was there, and it has moved since
  const cases = [{ id: 'a', images: [join(ds, 'imagesTr', 'a_0000.nii.gz')], label: join(ds, 'labelsTr', 'a.nii.gz') }];
  const before = await statDatasetSources({ cases });
  rmSync(join(dir, 'images', 'a.nii.gz'));
  assert.deepEqual(describeSourceChanges(before, await statDatasetSources({ cases })),
    [`case a: ${join(ds, 'imagesTr', 'a_0000.nii.gz')} is a symbolic link to ${join(dir, 'images', 'a.nii.gz')}, which does not exist`]);
});
