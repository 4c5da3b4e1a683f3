/**
 * `check` on the real hippocampus set, on clean copies, and on copies with planted problems: every
 * planted problem must be reported against the right case and file, and warnings must not fail.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDataset, type CheckReport } from '../src/data/dataset/check.js';
import { check } from '../src/cli/commands/check.js';
import { readNifti, writeNifti } from '../src/io/nifti.js';
import type { Volume } from '../src/io/volume.js';
import { DATA_DIR, HIPPOCAMPUS_DIR, requireData } from './helpers/shared_data.js';

const tmp = mkdtempSync(join(tmpdir(), 'pspseg-check-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const IDS = ['hippocampus_004', 'hippocampus_006', 'hippocampus_007', 'hippocampus_008', 'hippocampus_011',
  'hippocampus_014', 'hippocampus_015', 'hippocampus_017', 'hippocampus_019', 'hippocampus_020'];

/** An MSD copy of the given hippocampus cases. */
function copyMsd(name: string, ids: string[]): string {
  const root = join(tmp, name);
  mkdirSync(join(root, 'imagesTr'), { recursive: true });
  mkdirSync(join(root, 'labelsTr'), { recursive: true });
  for (const id of ids) {
    for (const sub of ['imagesTr', 'labelsTr']) copyFileSync(join(HIPPOCAMPUS_DIR, sub, `${id}.nii.gz`), join(root, sub, `${id}.nii.gz`));
  }
  const json = JSON.parse(readFileSync(join(HIPPOCAMPUS_DIR, 'dataset.json'), 'utf8')) as Record<string, unknown>;
  json.training = ids.map((id) => ({ image: `./imagesTr/${id}.nii.gz`, label: `./labelsTr/${id}.nii.gz` }));
  json.numTraining = ids.length;
  writeFileSync(join(root, 'dataset.json'), JSON.stringify(json));
  return root;
}

async function edit(path: string, change: (v: Volume) => Volume | void): Promise<void> {
  const vol = await readNifti(path);
  await writeNifti(path, change(vol) ?? vol);
}

function codesFor(report: CheckReport, caseId: string): string[] {
  return [...report.errors, ...report.warnings].filter((p) => p.caseId === caseId).map((p) => `${p.severity}:${p.code}`).sort();
}

/** Runs the CLI command with console output captured. */
async function runCli(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => { lines.push(a.join(' ')); };
  console.error = () => undefined;
  try {
    return { code: await check.run(args), out: lines.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe('check', () => {
  test('the full hippocampus set passes, quickly', async () => {
    requireData();
    let calls = 0;
    const report = await checkDataset(HIPPOCAMPUS_DIR, { onProgress: () => { calls++; } });
    assert.deepEqual(report.errors, []);
    assert.equal(report.ok, true);
    assert.equal(report.cases, 208);
    assert.equal(report.files, 416);
    assert.equal(calls, 208);
    assert.deepEqual(report.stats.orientations, { RAS: 208 });
    assert.deepEqual(Object.keys(report.stats.labelVoxels), ['0', '1', '2']);
    assert.ok(report.seconds < 20, `took ${report.seconds} s`);
  });

  test('a clean copy passes and the command exits 0', async () => {
    const root = copyMsd('clean', IDS.slice(0, 3));
    const report = await checkDataset(root);
    assert.equal(report.ok, true);
    assert.deepEqual([...report.errors, ...report.warnings], []);
    const { code, out } = await runCli([root, '--quiet']);
    assert.equal(code, 0);
    assert.match(out, /OK: 3 cases, 6 files/);
  });

  test('label values beyond int8 are errors even when declared', async () => {
    const root = copyMsd('bigLabel', IDS.slice(0, 1));
    const labelPath = join(root, 'labelsTr', `${IDS[0]}.nii.gz`);
    await edit(labelPath, (v) => { v.data[50] = 200; });
    const json = JSON.parse(readFileSync(join(root, 'dataset.json'), 'utf8'));
    json.labels['200'] = 'big';
    writeFileSync(join(root, 'dataset.json'), JSON.stringify(json));
    const report = await checkDataset(root);
    assert.deepEqual(codesFor(report, IDS[0]!), ['error:label-range']);
    assert.match(report.errors[0]!.message, /200 are outside 0\.\.127/);
  });

  test('planted problems are all reported at once', async () => {
    const root = copyMsd('broken', IDS);
    const image = (id: string): string => join(root, 'imagesTr', `${id}.nii.gz`);
    const label = (id: string): string => join(root, 'labelsTr', `${id}.nii.gz`);
    const [shifted, cropped, undeclared, nan, truncated, missing, spacing, empty, flipped, clean] = IDS as
      [string, string, string, string, string, string, string, string, string, string];

    await edit(label(shifted), (v) => { v.affine[0]![3]! += 2; });
    await edit(label(cropped), (v) => {
      const [nx, ny, nz] = v.shape;
      return { ...v, shape: [nx, ny, nz - 1], data: v.data.slice(0, nx * ny * (nz - 1)) as Uint8Array };
    });
    await edit(label(undeclared), (v) => { v.data[50] = 7; });
    await edit(image(nan), (v) => { v.data[100] = NaN; v.data[101] = Infinity; });
    const gz = readFileSync(image(truncated));
    writeFileSync(image(truncated), gz.subarray(0, gz.length >> 1));
    rmSync(label(missing));
    await edit(label(spacing), (v) => { v.spacing = [1.5, 1, 1]; v.affine[0]![0]! *= 1.5; });
    await edit(label(empty), (v) => { (v.data as Uint8Array).fill(0); });
    for (const path of [image(flipped), label(flipped)]) await edit(path, (v) => { v.affine[0]![0] = -1; });

    const report = await checkDataset(root);
    assert.equal(report.ok, false);
    assert.deepEqual(codesFor(report, shifted), ['error:affine-mismatch']);
    assert.deepEqual(codesFor(report, cropped), ['error:shape-mismatch']);
    assert.deepEqual(codesFor(report, undeclared), ['error:undeclared-label']);
    assert.deepEqual(codesFor(report, nan), ['error:non-finite']);
    assert.deepEqual(codesFor(report, truncated), ['error:unreadable']);
    assert.deepEqual(codesFor(report, missing), ['error:missing-file']);
    assert.deepEqual(codesFor(report, spacing), ['error:spacing-mismatch']);
    assert.deepEqual(codesFor(report, empty), ['warning:empty-label']);
    assert.deepEqual(codesFor(report, flipped), ['warning:unusual-orientation']);
    assert.deepEqual(codesFor(report, clean), []);
    assert.equal(report.errors.length, 7);

    const find = (caseId: string) => [...report.errors, ...report.warnings].find((p) => p.caseId === caseId)!;
    assert.equal(find(shifted).file, label(shifted));
    assert.match(find(shifted).message, /origin moved by 2 mm/);
    assert.match(find(cropped).message, /shape \d+x\d+x\d+ differs/);
    assert.match(find(undeclared).message, /not declared in dataset.json: 7 \(1 voxels\)/);
    assert.equal(find(nan).file, image(nan));
    assert.match(find(nan).message, /2 NaN\/Inf voxel/);
    assert.match(find(truncated).message, /gzip/);
    assert.equal(find(missing).file, label(missing));
    assert.match(find(flipped).message, /orientation LAS differs from the dataset's usual RAS/);

    const { code, out } = await runCli([root, '--quiet']);
    assert.equal(code, 1);
    assert.match(out, /Errors \(7\):/);
    assert.match(out, new RegExp(`ERROR   ${missing} labelsTr/${missing}.nii.gz: file is missing`));
    assert.match(out, /FAILED: 10 cases/);
    const json = await runCli([root, '--quiet', '--json']);
    assert.equal((JSON.parse(json.out) as CheckReport).errors.length, 7);
  });

  test('nnU-Net v2: channel geometry, missing channel, case count, stray files', async () => {
    const root = join(tmp, 'v2');
    for (const sub of ['imagesTr', 'labelsTr']) mkdirSync(join(root, sub), { recursive: true });
    const ids = IDS.slice(0, 3) as [string, string, string];
    for (const id of ids) {
      for (const ch of ['0000', '0001']) copyFileSync(join(HIPPOCAMPUS_DIR, 'imagesTr', `${id}.nii.gz`), join(root, 'imagesTr', `${id}_${ch}.nii.gz`));
      copyFileSync(join(HIPPOCAMPUS_DIR, 'labelsTr', `${id}.nii.gz`), join(root, 'labelsTr', `${id}.nii.gz`));
    }
    writeFileSync(join(root, 'imagesTr', 'readme.nii.gz'), '');
    writeFileSync(join(root, 'dataset.json'), JSON.stringify({
      channel_names: { 0: 'T1', 1: 'T1 copy' }, labels: { background: 0, anterior: 1, posterior: 2, extra: 3 },
      numTraining: 4, file_ending: '.nii.gz',
    }));
    await edit(join(root, 'imagesTr', `${ids[1]}_0001.nii.gz`), (v) => { v.affine[2]![3]! -= 5; });
    rmSync(join(root, 'imagesTr', `${ids[2]}_0001.nii.gz`));

    const report = await checkDataset(root);
    assert.equal(report.layout, 'nnunetv2');
    assert.deepEqual(codesFor(report, ids[0]), []);
    assert.deepEqual(codesFor(report, ids[1]), ['error:channel-geometry']);
    assert.deepEqual(codesFor(report, ids[2]), ['error:missing-file']);
    const datasetLevel = [...report.errors, ...report.warnings].filter((p) => !p.caseId).map((p) => `${p.severity}:${p.code}`).sort();
    assert.deepEqual(datasetLevel, ['error:case-count', 'warning:stray-file', 'warning:unused-label']);
    assert.match(report.errors.find((p) => p.code === 'channel-geometry')!.message, /channel 1 \(T1 copy\): affine differs: origin moved by 5 mm/);
  });

  test('MSD 4D: a real two-channel BraTS case passes; a 3D image where 4D is declared fails', async () => {
    requireData();
    const root = join(tmp, 'msd4d');
    for (const sub of ['imagesTr', 'labelsTr']) mkdirSync(join(root, sub), { recursive: true });
    const brats = join(DATA_DIR, 'samples/brats2015/brats_2013_pat0005_1');
    const [flair, t1c] = await Promise.all([readNifti(join(brats, 'Flair_subtrMeanDivStd.nii.gz')), readNifti(join(brats, 'T1c_subtrMeanDivStd.nii.gz'))]);
    const stacked = new Float32Array(flair.data.length * 2);
    stacked.set(flair.data as Float32Array);
    stacked.set(t1c.data as Float32Array, flair.data.length);
    await writeNifti(join(root, 'imagesTr', 'brats_0005.nii'), { ...flair, channels: 2, data: stacked });
    copyFileSync(join(brats, 'OTMultiClass.nii.gz'), join(root, 'labelsTr', 'brats_0005.nii.gz'));
    copyFileSync(join(brats, 'Flair_subtrMeanDivStd.nii.gz'), join(root, 'imagesTr', 'brats_flair_only.nii.gz'));
    copyFileSync(join(brats, 'OTMultiClass.nii.gz'), join(root, 'labelsTr', 'brats_flair_only.nii.gz'));
    writeFileSync(join(root, 'dataset.json'), JSON.stringify({
      name: 'BraTS2015 sample', modality: { 0: 'FLAIR', 1: 'T1c' },
      labels: { 0: 'background', 1: 'necrosis', 2: 'edema', 3: 'non-enhancing', 4: 'enhancing' },
      training: [
        { image: './imagesTr/brats_0005.nii', label: './labelsTr/brats_0005.nii.gz' },
        { image: './imagesTr/brats_flair_only.nii.gz', label: './labelsTr/brats_flair_only.nii.gz' },
      ],
    }));
    const report = await checkDataset(root);
    assert.deepEqual(codesFor(report, 'brats_0005'), []);
    assert.deepEqual(codesFor(report, 'brats_flair_only'), ['error:channel-count']);
    assert.match(report.errors[0]!.message, /image has 1 channel\(s\), dataset.json declares 2/);
    assert.deepEqual(report.stats.orientations, { LPS: 2 });
    assert.deepEqual(Object.keys(report.stats.labelVoxels).sort(), ['0', '1', '2', '3', '4']);
  });

  test('a broken dataset.json fails the command with the file named', async () => {
    const root = join(tmp, 'nojson');
    mkdirSync(root);
    writeFileSync(join(root, 'dataset.json'), '{');
    const errors: string[] = [];
    const error = console.error;
    console.error = (...a: unknown[]) => { errors.push(a.join(' ')); };
    try {
      assert.equal(await check.run([root, '--quiet']), 1);
    } finally {
      console.error = error;
    }
    assert.match(errors.join('\n'), new RegExp(`${join(root, 'dataset.json')}: invalid JSON`));
    assert.equal((await runCli([])).code, 2);
  });
});
