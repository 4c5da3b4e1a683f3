/**
 * The browser app's page logic in Node (it has no DOM and no Node API): files to a case with its
 * channel checks and messages, label volumes in mL, the crosshair's starting voxel, the backend choice
 * and its sentence, the model card's text, the saved label file, NiiVue's label table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeNifti, encodeNifti } from '../src/io/nifti_codec.js';
import { orientationCodes } from '../src/io/orientation.js';
import type { Volume } from '../src/io/volume.js';
import { chooseBackend, describeBackend } from '../src/web/backend_choice.js';
import { caseFromFiles, caseIdOf } from '../src/web/case_files.js';
import { secondsLeft } from '../src/web/eta.js';
import { labelCentre } from '../src/web/label_centre.js';
import { labelFileName, labelNiftiGz } from '../src/web/label_file.js';
import { formatMillilitres, labelAmounts } from '../src/web/label_volumes.js';
import { modelCardHtml, parameterText } from '../src/web/model_card.js';
import { labelColourTable } from '../src/web/label_colour_table.js';
import type { DeployedModelInfo } from '../src/infer/deployed_model.js';

function volume(shape: [number, number, number], data: Volume['data'], o: { spacing?: [number, number, number]; channels?: number } = {}): Volume {
  const spacing = o.spacing ?? [1, 1, 1];
  const affine = [[spacing[0], 0, 0, -10], [0, spacing[1], 0, 5], [0, 0, spacing[2], 2], [0, 0, 0, 1]];
  return { shape, channels: o.channels ?? 1, spacing, affine, orientation: orientationCodes(affine), data, datatype: data instanceof Uint8Array ? 'uint8' : 'float32' };
}

/** A NIfTI file image (gzipped when asked) of a volume. */
function niftiFile(name: string, v: Volume, gzip = false): { name: string; bytes: Uint8Array } {
  const bytes = Buffer.concat(encodeNifti(v, {}, name));
  return { name, bytes: gzip ? gzipSync(bytes) : bytes };
}

const ramp = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => i);

test('case names drop .nii(.gz) and the channel suffix', () => {
  assert.equal(caseIdOf('hippocampus_367.nii.gz'), 'hippocampus_367');
  assert.equal(caseIdOf('BRATS_001_0003.nii.gz'), 'BRATS_001');
  assert.equal(caseIdOf('scan.NII'), 'scan');
  assert.equal(caseIdOf('.nii.gz'), 'case');
});

test('one file for a one-channel model: gzipped or not, it becomes the case', () => {
  const v = volume([3, 4, 5], ramp(60));
  for (const gz of [false, true]) {
    const c = caseFromFiles([niftiFile('a.nii.gz', v, gz)], ['MRI']);
    assert.equal(c.id, 'a');
    assert.deepEqual(c.names, ['a.nii.gz']);
    assert.deepEqual(c.assignment, [{ channel: 'MRI', file: 'a.nii.gz' }]);
    assert.deepEqual([...c.volumes[0]!.data], [...v.data]);
  }
});

test('bad files are told by name: not NIfTI, damaged gzip, a broken NIfTI', () => {
  const text = { name: 'report.pdf', bytes: new TextEncoder().encode('%PDF-1.4 '.repeat(60)) };
  assert.throws(() => caseFromFiles([text], ['MRI']),
    { name: 'InputError', message: /^report\.pdf is not a NIfTI image \(\.nii or \.nii\.gz\): not a NIfTI file: sizeof_hdr is \d+, expected 348/ });
  const gz = gzipSync(Buffer.from('x'.repeat(1000)));
  assert.throws(() => caseFromFiles([{ name: 'a.nii.gz', bytes: gz.subarray(0, 20) }], ['MRI']),
    { name: 'InputError', message: /^a\.nii\.gz is damaged: its gzip data cannot be unpacked/ });
  const ok = niftiFile('b.nii', volume([3, 4, 5], ramp(60)));
  assert.throws(() => caseFromFiles([{ name: 'b.nii', bytes: ok.bytes.subarray(0, 400) }], ['MRI']),
    { name: 'InputError', message: /^b\.nii cannot be read as a NIfTI image: truncated data/ });
  assert.throws(() => caseFromFiles([], ['MRI']),
    { name: 'InputError', message: /^No file given/ });
});

test('channel counts: the message says what the model takes and what was given', () => {
  const v = volume([2, 2, 2], ramp(8));
  const four = volume([2, 2, 2], ramp(16), { channels: 2 });
  assert.throws(() => caseFromFiles([niftiFile('t.nii', four)], ['MRI']),
    { name: 'InputError', message: /^This model takes 1 channel \(MRI\); t\.nii has 2 channels \(a 4D image, 2x2x2x2\): give one file per channel\.$/ });
  assert.throws(() => caseFromFiles([niftiFile('a.nii', v)], ['FLAIR', 'T1c']),
    { name: 'InputError', message: /^This model takes 2 channels \(FLAIR, T1c\); a\.nii has 1 channel: give one file per channel, or one 4D file with 2 channels\.$/ });
  assert.throws(() => caseFromFiles([niftiFile('a.nii', v), niftiFile('b.nii', v), niftiFile('c.nii', v)], ['FLAIR', 'T1c']),
    { name: 'InputError', message: /^This model takes 2 channels \(FLAIR, T1c\); 3 files given \(a\.nii, b\.nii, c\.nii\)/ });
  assert.throws(() => caseFromFiles([niftiFile('a.nii', v), niftiFile('b.nii', volume([2, 2, 3], ramp(12)))], ['FLAIR', 'T1c']),
    { name: 'InputError', message: /^b\.nii is 2x2x3 voxels but a\.nii is 2x2x2: the channels of one case must share one grid\.$/ });
  // one 4D file holding both channels is a case as well
  assert.deepEqual(caseFromFiles([niftiFile('c.nii', four)], ['FLAIR', 'T1c']).assignment, [{ channel: 'FLAIR', file: 'c.nii' }, { channel: 'T1c', file: 'c.nii' }]);
});

test('files named CASE_0000, CASE_0001 go to their channels whatever order they came in', () => {
  const a = volume([2, 2, 2], ramp(8)), b = volume([2, 2, 2], ramp(8).map((x) => -x));
  const c = caseFromFiles([niftiFile('p_0001.nii.gz', b, true), niftiFile('p_0000.nii.gz', a, true)], ['FLAIR', 'T1c']);
  assert.equal(c.id, 'p');
  assert.deepEqual(c.names, ['p_0000.nii.gz', 'p_0001.nii.gz']);
  assert.equal(c.volumes[1]!.data[3], -3);
  // without the suffixes, the order given is kept (and the page shows it)
  assert.deepEqual(caseFromFiles([niftiFile('z.nii', b), niftiFile('y.nii', a)], ['FLAIR', 'T1c']).names, ['z.nii', 'y.nii']);
});

test('label volumes: voxels times the voxel volume in mL, background left out, absent labels 0', () => {
  const data = Uint8Array.from([0, 1, 1, 2, 0, 0, 1, 0]);
  const amounts = labelAmounts(volume([2, 2, 2], data, { spacing: [2, 1.5, 4] }), [{ name: 'bg', value: 0 }, { name: 'A', value: 1 }, { name: 'B', value: 2 }, { name: 'C', value: 3 }]);
  assert.deepEqual(amounts, [
    { value: 1, name: 'A', voxels: 3, millilitres: 3 * 12 / 1000 },
    { value: 2, name: 'B', voxels: 1, millilitres: 12 / 1000 },
    { value: 3, name: 'C', voxels: 0, millilitres: 0 },
  ]);
  assert.deepEqual([0, 0.0361, 3.4216, 12.34, 125.4].map(formatMillilitres), ['0 mL', '0.036 mL', '3.42 mL', '12.3 mL', '125 mL']);
});

test('the crosshair starts on the largest label, at its voxel nearest the centroid', () => {
  const data = new Uint8Array(5 * 5 * 5);
  const at = (i: number, j: number, k: number): number => i + 5 * (j + 5 * k);
  // a "C" of label 1 whose centroid (2, 2, 2) lies outside it, and one voxel of label 2
  for (const [i, j] of [[1, 1], [2, 1], [3, 1], [1, 2], [1, 3], [2, 3], [3, 3]] as const) data[at(i, j, 2)] = 1;
  data[at(4, 4, 4)] = 2;
  const c = labelCentre(volume([5, 5, 5], data))!;
  assert.equal(data[at(...c)], 1);
  assert.deepEqual(c, [1, 2, 2]);
  assert.equal(labelCentre(volume([5, 5, 5], new Uint8Array(125))), undefined);
});

test('backend: WebGPU when the browser and the model can; WASM otherwise, saying why; threads only when isolated', () => {
  const browser = { webgpuAdapter: true, crossOriginIsolated: true, hardwareConcurrency: 8 };
  assert.deepEqual(chooseBackend('auto', browser, { webgpu: true }), { backend: 'webgpu', threads: 8, reason: '' });
  assert.deepEqual(chooseBackend('wasm', browser, { webgpu: true }), { backend: 'wasm', threads: 8, reason: '' });
  assert.match(chooseBackend('auto', browser, { webgpu: false, webgpuNote: 'no 3-D ConvTranspose' }).reason, /^This model cannot run on WebGPU \(no 3-D ConvTranspose\): it runs on WASM\.$/);
  assert.match(chooseBackend('webgpu', { ...browser, webgpuAdapter: false }, { webgpu: true }).reason, /^WebGPU was asked for, but this browser offers no WebGPU adapter/);
  const lone = chooseBackend('auto', { webgpuAdapter: false, crossOriginIsolated: false, hardwareConcurrency: 8 }, { webgpu: true });
  assert.equal(lone.threads, 1);
  assert.match(lone.reason, /One thread only: the page is not cross-origin isolated/);
  assert.match(chooseBackend('wasm', { ...browser, crossOriginIsolated: false, secureContext: false }, { webgpu: true }).reason, /^One thread only: browsers allow threads only to pages from https or from this computer/);
  assert.equal(chooseBackend('wasm', { ...browser, hardwareConcurrency: 64 }, { webgpu: true }).threads, 16);
  // a software WebGPU adapter (SwiftShader) is slower than WASM: not chosen unless asked for, and then said
  const software = { ...browser, webgpuSoftware: true };
  assert.match(chooseBackend('auto', software, { webgpu: true }).reason, /^This browser's WebGPU runs on the CPU \(a software adapter\), slower than WASM: it runs on WASM\.$/);
  assert.equal(chooseBackend('auto', software, { webgpu: true }).backend, 'wasm');
  assert.deepEqual(chooseBackend('webgpu', software, { webgpu: true }), { backend: 'webgpu', threads: 8, reason: "This browser's WebGPU runs on the CPU (a software adapter): expect it to be slow." });
  assert.deepEqual([describeBackend('webgpu', 4), describeBackend('wasm', 1), describeBackend('wasm', 2)], ['WebGPU', 'WASM, 1 thread', 'WASM, 2 threads']);
});

test('ETA: time per step so far times the steps left', () => {
  assert.equal(secondsLeft(0, 8, 3), undefined);
  assert.equal(secondsLeft(2, 8, 3), 9);
  assert.equal(secondsLeft(8, 8, 12), 0);
});

test('model card: parameters before and after pruning, Dice per class, grid as an image, text escaped', () => {
  assert.equal(parameterText(5369416, 4168147), '5,369,416 \u2192 4,168,147 (22.4% fewer)');
  assert.equal(parameterText(null, 1234), '1,234');
  assert.equal(parameterText(1234, 1234), '1,234 (pruning removed none)');
  const info = {
    format: 'pspseg-onnx-model', version: 1, pspsegVersion: '0.1.0', exportedAt: '2026-12-07T12:00:00.000Z',
    network: { name: 'PSP-Seg S', kind: 'psp', inChannels: 1, classes: 3, parameters: 4168147, parametersBeforePruning: 5369416, ops: [], webgpu: true, architecture: {}, halfWeights: false },
    plan: {}, labels: [{ name: 'background', value: 0 }, { name: 'Anterior <script>', value: 1 }, { name: 'Posterior', value: 2 }],
    channels: ['MRI'], patchSize: [40, 56, 36], mirrorAxes: [0, 1, 2], checkpoint: 'final', dataset: { name: 'Hippocampus', trainingCases: 208 },
    fold: 0, valCases: [], validation: { meanDice: 0.845, perClass: { 'Anterior <script>': 0.849, Posterior: 0.841 }, cases: 42 },
    pruning: { deletedBlocks: 3, totalBlocks: 28, gridSvg: '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>' },
  } as DeployedModelInfo;
  const html = modelCardHtml(info);
  assert.match(html, /5,369,416 \u2192 4,168,147 \(22\.4% fewer\)/);
  assert.match(html, /3 of 28 blocks deleted/);
  assert.match(html, /Hippocampus, 208 cases; cross-validation fold 0/);
  assert.match(html, /36 x 56 x 40 voxels \(x, y, z\)/, 'the patch per image axis x, y, z');
  assert.match(html, /validation Dice, 42 cases/);
  assert.match(html, /Anterior &lt;script&gt;<\/td><td class="num">0\.849</);
  assert.match(html, /<td>mean<\/td><td class="num">0\.845</);
  assert.ok(!html.includes('<script') && !html.includes('<svg'), 'names escaped; the grid only inside an image');
  assert.match(html, /<img alt="pruning grid[^"]*" src="data:image\/svg\+xml;charset=utf-8,%3Csvg/);
  assert.match(modelCardHtml({ ...info, validation: null, pruning: null }), /Validation Dice: not known/);
});

test('the saved label map: uint8 on the input grid with its header, gzipped, named <case>_seg.nii.gz', () => {
  const image = decodeNifti(Buffer.concat(encodeNifti(volume([3, 2, 2], ramp(12), { spacing: [0.8, 0.8, 5] }))), 'image.nii');
  const label: Volume = { ...image, data: Uint8Array.from([0, 1, 2, 0, 0, 1, 1, 0, 2, 0, 0, 0]), datatype: 'uint8' };
  const back = decodeNifti(gunzipSync(labelNiftiGz(label, 'x_seg.nii.gz')), 'x_seg.nii.gz');
  assert.equal(back.datatype, 'uint8');
  assert.deepEqual([...back.data], [...label.data]);
  assert.deepEqual(back.affine, image.affine);
  assert.deepEqual(back.spacing, image.spacing);
  assert.deepEqual(back.header!.srow, image.header!.srow);
  assert.equal(labelFileName('hippocampus_367'), 'hippocampus_367_seg.nii.gz');
});

test("NiiVue's label table: background and hidden labels clear, the others opaque, indexed by label value", () => {
  const t = labelColourTable([
    { value: 1, name: 'A', rgb: [230, 159, 0], visible: true },
    { value: 2, name: 'B', rgb: [86, 180, 233], visible: false },
  ]);
  assert.deepEqual(t, { R: [0, 230, 86], G: [0, 159, 180], B: [0, 0, 233], A: [0, 255, 0], I: [0, 1, 2], labels: ['background', 'A', 'B'] });
});
