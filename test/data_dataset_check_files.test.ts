/**
 * What a new user's files get from `check` (issue 7): a zero pixdim and a NaN sform are errors; a
 * float label with non-integer values is one error, not also "no foreground"; a .nii file under a
 * ".nii.gz" file_ending gets a hint; a .gz name without gzip data is said to be the cause.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { type CheckReport, checkDataset } from '../src/data/dataset/check.js';
import { readNifti, writeNifti } from '../src/io/nifti.js';
import { HIPPOCAMPUS_DIR, requireData } from './helpers/shared_data.js';
import { tempDir } from './helpers.js';

const IDS = ['hippocampus_004', 'hippocampus_006', 'hippocampus_007'];

/** An nnU-Net v2 copy of three hippocampus cases. */
function copyV2(root: string): string {
  requireData();
  for (const sub of ['imagesTr', 'labelsTr']) mkdirSync(join(root, sub), { recursive: true });
  for (const id of IDS) {
    copyFileSync(join(HIPPOCAMPUS_DIR, 'imagesTr', `${id}.nii.gz`), join(root, 'imagesTr', `${id}_0000.nii.gz`));
    copyFileSync(join(HIPPOCAMPUS_DIR, 'labelsTr', `${id}.nii.gz`), join(root, 'labelsTr', `${id}.nii.gz`));
  }
  writeFileSync(join(root, 'dataset.json'), JSON.stringify({
    channel_names: { 0: 'T1' }, labels: { background: 0, anterior: 1, posterior: 2 }, numTraining: IDS.length, file_ending: '.nii.gz',
  }));
  return root;
}

/** Rewrites NIfTI-1 header fields of a .nii.gz file in place: float32 values at byte offsets. */
function patchHeader(path: string, floats: Record<number, number>): void {
  const bytes = gunzipSync(readFileSync(path));
  for (const [offset, value] of Object.entries(floats)) bytes.writeFloatLE(value, Number(offset));
  writeFileSync(path, gzipSync(bytes));
}

const problems = (r: CheckReport, id: string) => [...r.errors, ...r.warnings].filter((p) => p.caseId === id);
const codes = (r: CheckReport, id: string) => problems(r, id).map((p) => `${p.severity}:${p.code}`).sort();

test('a zero pixdim and a NaN sform are errors naming the field', async (t) => {
  const root = copyV2(tempDir(t));
  const [a, b, c] = IDS as [string, string, string];
  // pixdim[2] at byte 76 + 4 * 2; srow_x[0] at byte 280 (the hippocampus files have sform_code 1)
  patchHeader(join(root, 'labelsTr', `${a}.nii.gz`), { [76 + 8]: 0 });
  patchHeader(join(root, 'imagesTr', `${b}_0000.nii.gz`), { 280: NaN });
  const r = await checkDataset(root);
  assert.ok(codes(r, a).includes('error:bad-geometry'), codes(r, a).join());
  assert.match(problems(r, a).find((p) => p.code === 'bad-geometry')!.message, /pixdim\[2\] \(voxel size along y\) is 0/);
  assert.ok(codes(r, b).includes('error:bad-geometry'), codes(r, b).join());
  assert.match(problems(r, b).find((p) => p.code === 'bad-geometry')!.message, /sform .* NaN/);
  assert.equal(problems(r, b).find((p) => p.code === 'bad-geometry')!.file, join(root, 'imagesTr', `${b}_0000.nii.gz`));
  assert.deepEqual(codes(r, c), []);
  assert.equal(r.ok, false);
});

test('non-integer float labels are one error with examples, not also an empty-label warning', async (t) => {
  const root = copyV2(tempDir(t));
  const id = IDS[0]!;
  const path = join(root, 'labelsTr', `${id}.nii.gz`);
  const v = await readNifti(path);
  // a label resampled with linear interpolation: values between the classes, none exactly 1 or 2
  const data = Float32Array.from(v.data as Uint8Array, (x) => (x ? x - 0.5 : 0));
  await writeNifti(path, { ...v, data, datatype: 'float32' });
  const r = await checkDataset(root);
  assert.deepEqual(codes(r, id), ['error:non-integer-label']);
  assert.match(problems(r, id)[0]!.message, /hold non-integer label values \(e\.g\. 0\.5, 1\.5\)/);
});

test('a .nii file where file_ending is .nii.gz gets a hint; a .gz name without gzip data is named as the cause', async (t) => {
  const root = copyV2(tempDir(t));
  const [a, b, c] = IDS as [string, string, string];
  // a: the label as plain .nii
  const label = join(root, 'labelsTr', `${a}.nii.gz`);
  writeFileSync(join(root, 'labelsTr', `${a}.nii`), gunzipSync(readFileSync(label)));
  await import('node:fs/promises').then((fs) => fs.rm(label));
  // b: an uncompressed NIfTI named .nii.gz (read, but other tools refuse it)
  const bImage = join(root, 'imagesTr', `${b}_0000.nii.gz`);
  writeFileSync(bImage, gunzipSync(readFileSync(bImage)));
  // c: not gzip and not NIfTI
  const cImage = join(root, 'imagesTr', `${c}_0000.nii.gz`);
  writeFileSync(cImage, Buffer.alloc(400, 7));

  const r = await checkDataset(root);
  assert.deepEqual(codes(r, a), ['error:missing-file']);
  assert.match(problems(r, a)[0]!.message, /file is missing \(hippocampus_004\.nii exists, but dataset\.json's file_ending is "\.nii\.gz": compress it with gzip/);
  assert.deepEqual(codes(r, b), ['warning:not-gzip']);
  assert.match(problems(r, b)[0]!.message, /not a gzip file although its name ends in \.gz/);
  assert.deepEqual(codes(r, c), ['error:unreadable']);
  assert.match(problems(r, c)[0]!.message, /^not a gzip file, although its name ends in \.gz \(read as uncompressed NIfTI instead: /);
});
