/**
 * `pspseg evaluate` refuses files that are clearly not label maps (an image given as the reference
 * or as a prediction) before writing any metric, naming the file, what is wrong and what was probably
 * meant; integer-valued float label files (the shared samples: BraTS labels in float32, spinal-cord
 * levels in float64) are evaluated as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluate } from '../src/cli/commands/evaluate.js';
import { notALabelMap } from '../src/eval/label_map.js';
import { readNifti, writeNifti } from '../src/io/nifti.js';
import type { Volume } from '../src/io/volume.js';
import { DATA_DIR, HIPPOCAMPUS_DIR, requireData } from './helpers/shared_data.js';

const tmp = mkdtempSync(join(tmpdir(), 'pspseg-eval-notlabel-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  console.error = (...a: unknown[]) => { err.push(a.join(' ')); };
  try { return { code: await evaluate.run(args), out: out.join('\n'), err: err.join('\n') }; } finally { console.log = log; console.error = error; }
}

const SPLEEN = join(DATA_DIR, 'samples', 'spleen_ct');

test('the issue: evaluate PRED samples/spleen_ct pairs the prediction with the CT image: refused, naming the image and the label beside it', async () => {
  requireData();
  const pred = join(tmp, 'spleen_pred');
  mkdirSync(pred);
  copyFileSync(join(SPLEEN, 'spleen2_ct_seg.nii.gz'), join(pred, 'spleen2_ct.nii.gz')); // a perfect prediction
  const r = await runCli([pred, SPLEEN, '--quiet', '--jobs', '1']);
  assert.equal(r.code, 1);
  const image = join(SPLEEN, 'spleen2_ct.nii.gz');
  assert.ok(r.err.startsWith(`pspseg evaluate: ${image}: this reference is not a label map: it holds `), r.err);
  // the CT's values counted here, independently of the check
  const ct = await readNifti(image);
  const distinct = new Set(Array.from(ct.data as ArrayLike<number>, Number)).size;
  assert.ok(distinct > 1000, `a CT holds many values (${distinct})`);
  assert.ok(r.err.includes(`holds ${distinct.toLocaleString('en-US')} distinct values`), r.err);
  assert.match(r.err, /looks like an image, not a label map/);
  assert.ok(r.err.includes(`probably ${join(SPLEEN, 'spleen2_ct_seg.nii.gz')}`), 'what was meant');
  assert.ok(!existsSync(join(pred, 'summary.json')), 'no summary of 1,840 "labels" written');
  // the same folders the other way round: the images folder given as predictions
  const refs = join(tmp, 'spleen_refs');
  mkdirSync(refs);
  copyFileSync(join(SPLEEN, 'spleen2_ct_seg.nii.gz'), join(refs, 'spleen2_ct.nii.gz'));
  const images = join(tmp, 'spleen_images');
  mkdirSync(images);
  copyFileSync(image, join(images, 'spleen2_ct.nii.gz'));
  const p = await runCli([images, refs, '--quiet', '--jobs', '2']); // the worker path
  assert.equal(p.code, 1);
  assert.match(p.err, new RegExp(`^pspseg evaluate: ${join(images, 'spleen2_ct.nii.gz')}: this prediction is not a label map: .*is ${images} a folder of images rather than the output of pspseg predict\\?`));
});

test('a dataset folder: a predictions folder of (float) images is refused; a prediction with one stray label is evaluated', async () => {
  requireData();
  const pred = join(tmp, 'hippo_pred');
  mkdirSync(pred);
  copyFileSync(join(HIPPOCAMPUS_DIR, 'imagesTr', 'hippocampus_004.nii.gz'), join(pred, 'hippocampus_004.nii.gz'));
  const r = await runCli([pred, HIPPOCAMPUS_DIR, '--quiet', '--jobs', '1', '--allow-missing']);
  assert.equal(r.code, 1);
  assert.match(r.err, /hippocampus_004\.nii\.gz: this prediction is not a label map: it holds non-integer values in [\d,]+ voxel\(s\) \(e\.g\. [-\d.]+/);
  // the reference with a stray undeclared value (3) in one voxel: a wrong prediction, not an image
  const ref = await readNifti(join(HIPPOCAMPUS_DIR, 'labelsTr', 'hippocampus_004.nii.gz'));
  const data = Uint8Array.from(ref.data as ArrayLike<number>);
  data[0] = 3;
  await writeNifti(join(pred, 'hippocampus_004.nii.gz'), { ...ref, data, datatype: 'uint8' });
  const ok = await runCli([pred, HIPPOCAMPUS_DIR, '--quiet', '--jobs', '1', '--allow-missing']);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /1 case\(s\) evaluated/);
});

test('integer-valued float label files are label maps: BraTS (float32, 0-4) and spinal-cord levels (float64)', async () => {
  requireData();
  const files = [
    join(DATA_DIR, 'samples', 'brats2015', 'brats_2013_pat0005_1', 'OTMultiClass.nii.gz'),
    join(DATA_DIR, 'samples', 'spinalcord', 't2', 't2_seg-manual_labeled.nii.gz'),
  ];
  const types: string[] = [];
  for (const [k, file] of files.entries()) {
    types.push((await readNifti(file)).datatype);
    const pred = join(tmp, `float_pred_${k}`), ref = join(tmp, `float_ref_${k}`);
    mkdirSync(pred); mkdirSync(ref);
    copyFileSync(file, join(pred, 'case.nii.gz'));
    copyFileSync(file, join(ref, 'case.nii.gz'));
    const r = await runCli([pred, ref, '--quiet', '--jobs', '1']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /mean\s+\(foreground\)\s+1\s+1\.0000/, 'the file against itself');
  }
  assert.deepEqual(types, ['float32', 'float64'], 'the README\'s float label samples');
});

test('notALabelMap: what counts as clearly not a label map', () => {
  const vol = (data: Volume['data'], channels = 1): Volume => ({
    shape: [data.length / channels, 1, 1], channels, spacing: [1, 1, 1], affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
    orientation: 'RAS', data, datatype: 'float32',
  });
  const blocks = (values: number[], run: number) => values.flatMap((v) => Array<number>(run).fill(v));
  assert.equal(notALabelMap(vol(Float32Array.from([0, 0.99999997, 1, 2, 2])), [0, 1, 2]), null, 'float rounding of whole numbers');
  assert.match(notALabelMap(vol(Float32Array.from([0, 1.5, 1])), null)!, /non-integer values in 1 voxel\(s\) \(e\.g\. 1\.5\)/);
  assert.match(notALabelMap(vol(Float32Array.from([0, NaN])), null)!, /NaN or infinite/);
  assert.match(notALabelMap(vol(new Float32Array(8), 2), null)!, /has 2 channels/);
  // declared labels 0, 1, 2: a few stray values pass (the metrics show them), dozens do not
  assert.equal(notALabelMap(vol(Float32Array.from(blocks([0, 1, 2, 7, 9], 10))), [0, 1, 2]), null);
  assert.match(notALabelMap(vol(Float32Array.from(blocks(Array.from({ length: 40 }, (_, i) => i), 10))), [0, 1, 2])!,
    /holds 40 distinct values \(0 to 39\) where dataset\.json declares 3 labels \(0, 1, 2\)/);
  // no declared labels: 30 classes in uniform runs pass; 30 values changing at every voxel, or 300 values, do not
  assert.equal(notALabelMap(vol(Float32Array.from(blocks(Array.from({ length: 30 }, (_, i) => i), 20))), null), null);
  assert.match(notALabelMap(vol(Float32Array.from({ length: 600 }, (_, i) => (i * 7) % 30)), null)!, /30 distinct values \(0 to 29\) that change between neighbouring voxels in 100% of places/);
  assert.match(notALabelMap(vol(Float32Array.from(blocks(Array.from({ length: 300 }, (_, i) => i - 100), 5))), null)!, /holds 300 distinct values \(-100 to 199\), where a label map/);
});
