/**
 * Slice pictures: which voxel axis each view shows and which way round (from orientation codes),
 * picture sizes in millimetre-square pixels for anisotropic voxels, the cut through the structure,
 * the intensity window, and the colours and outlines of labels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LABEL_COLOURS, PANEL_GAP, percentileWindow, renderPanel, sideBySide } from '../src/report/overlay.js';
import { centreOfMass, millimetresPerPixel, planeViews, sliceCentre, sliceGrid } from '../src/report/slices.js';

const idx = (shape: number[], x: number, y: number, z: number) => x + shape[0]! * (y + shape[1]! * z);

test('views: RAS volumes are shown with the patient right on the left and anterior/superior at the top', () => {
  const [axial, coronal, sagittal] = planeViews('RAS');
  assert.deepEqual([axial!.name, coronal!.name, sagittal!.name], ['axial', 'coronal', 'sagittal']);
  // axial: z fixed, x across (index grows towards R, which is on the left: flipped), y down (grows towards A, at the top: flipped)
  assert.deepEqual({ ...axial!, name: undefined }, { name: undefined, fixedAxis: 2, hAxis: 0, hFlip: true, vAxis: 1, vFlip: true, edges: { left: 'R', right: 'L', top: 'A', bottom: 'P' } });
  assert.deepEqual([coronal!.fixedAxis, coronal!.hAxis, coronal!.hFlip, coronal!.vAxis, coronal!.vFlip], [1, 0, true, 2, true]);
  assert.deepEqual(coronal!.edges, { left: 'R', right: 'L', top: 'S', bottom: 'I' });
  assert.deepEqual([sagittal!.fixedAxis, sagittal!.hAxis, sagittal!.hFlip, sagittal!.vAxis, sagittal!.vFlip], [0, 1, true, 2, true]);
  assert.deepEqual(sagittal!.edges, { left: 'A', right: 'P', top: 'S', bottom: 'I' });
});

test('views: LPS needs no flip in the axial view; permuted axes (PSR) are found', () => {
  const [axial] = planeViews('LPS');
  assert.deepEqual([axial!.hAxis, axial!.hFlip, axial!.vAxis, axial!.vFlip], [0, false, 1, false]);
  const [ax, cor, sag] = planeViews('PSR'); // voxel x: towards P, y: towards S, z: towards R
  assert.deepEqual([ax!.fixedAxis, ax!.hAxis, ax!.hFlip, ax!.vAxis, ax!.vFlip], [1, 2, true, 0, false]);
  assert.deepEqual([cor!.fixedAxis, cor!.hAxis, cor!.vAxis, cor!.vFlip], [0, 2, 1, true]);
  assert.deepEqual([sag!.fixedAxis, sag!.hAxis, sag!.hFlip, sag!.vAxis], [2, 0, false, 1]);
});

test('views: without an orientation the voxel axes are shown unflipped and unnamed', () => {
  const views = planeViews('??S');
  assert.deepEqual(views.map((v) => [v.fixedAxis, v.hAxis, v.vAxis, v.hFlip, v.vFlip]), [[2, 0, 1, false, false], [1, 0, 2, false, false], [0, 1, 2, false, false]]);
  assert.ok(views.every((v) => v.edges.left === '' && !/axial|coronal|sagittal/.test(v.name)));
});

test('slice grid: anisotropic voxels give pictures in true proportions, the longer side of each view fixed', () => {
  const shape = [20, 16, 8], spacing = [1, 1, 3]; // 20 x 16 x 24 mm
  const views = planeViews('LPS');
  assert.deepEqual(views.map((v) => millimetresPerPixel(shape, spacing, v, 200)), [20 / 200, 24 / 200, 24 / 200]);
  const [axial, coronal, sagittal] = views.map((v) => sliceGrid(shape, spacing, v, 4, millimetresPerPixel(shape, spacing, v, 200)));
  assert.deepEqual([axial!.width, axial!.height], [200, 160]); // 20 x 16 mm at 0.1 mm
  assert.deepEqual([coronal!.width, coronal!.height], [Math.round(20 / 0.12), 200]); // 20 x 24 mm at 0.12 mm
  assert.deepEqual([sagittal!.width, sagittal!.height], [Math.round(16 / 0.12), 200]);
  // each z voxel spans 3 mm = 25 rows of the coronal picture
  const rowsOfZ = (z: number) => [...Array(200).keys()].filter((r) => Math.floor(coronal!.voxel[r * coronal!.width]! / (20 * 16)) === z).length;
  assert.deepEqual([0, 1, 7].map(rowsOfZ), [25, 25, 25]);
  // and each x voxel 1 mm = 10 columns of the axial one
  const colsOfX = (x: number) => [...Array(200).keys()].filter((c) => axial!.voxel[c]! % 20 === x).length;
  assert.deepEqual([0, 9, 19].map(colsOfX), [10, 10, 10]);
});

test('slice grid: corners land where the orientation says (RAS axial: R and A at the top left)', () => {
  const shape = [6, 5, 4], spacing = [1, 1, 1];
  const [axial, , sagittal] = planeViews('RAS');
  const g = sliceGrid(shape, spacing, axial!, 2, 1);
  assert.deepEqual([g.width, g.height], [6, 5]);
  assert.equal(g.voxel[0], idx(shape, 5, 4, 2), 'top left: largest x (towards R), largest y (towards A)');
  assert.equal(g.voxel[g.width * g.height - 1], idx(shape, 0, 0, 2), 'bottom right: x 0, y 0');
  const s = sliceGrid(shape, spacing, sagittal!, 1, 1);
  assert.deepEqual([s.width, s.height], [5, 4]);
  assert.equal(s.voxel[0], idx(shape, 1, 4, 3), 'top left of sagittal: anterior (largest y), superior (largest z)');
});

test('cut: through the centre of mass, else through the largest cross-section; the middle without a structure', () => {
  const shape = [10, 8, 6];
  const labels = new Uint8Array(480);
  for (const [x, y, z] of [[2, 2, 1], [2, 3, 1], [4, 3, 3], [4, 4, 3]]) labels[idx(shape, x!, y!, z!)] = 1;
  assert.deepEqual(centreOfMass(labels, shape), [3, 3, 2]);
  // x = 3 and z = 2 hold no structure: the largest cross-sections are x = 2 or 4 (2 voxels each: the first), z = 1 or 3
  assert.deepEqual(sliceCentre(labels, shape), [2, 3, 1]);
  assert.equal(centreOfMass(new Uint8Array(480), shape), null);
  assert.deepEqual(sliceCentre(new Uint8Array(480), shape), [5, 4, 3]);
});

test('window: 0.5th and 99.5th percentiles by nearest rank, NaN ignored', () => {
  const data = Float32Array.from({ length: 1001 }, (_, i) => i); // 0..1000
  assert.deepEqual(percentileWindow(data), { low: 5, high: 995 });
  const withNaN = Float32Array.from([NaN, 3, NaN, 1, 2]);
  assert.deepEqual(percentileWindow(withNaN, 0, 100), { low: 1, high: 3 });
  assert.deepEqual(percentileWindow(BigInt64Array.from([4n, 8n]), 0, 100), { low: 4, high: 8 });
});

test('panel: grey from the window, translucent colour inside a label, opaque outline on its border', () => {
  const shape = [5, 5, 1];
  const image = Float32Array.from({ length: 25 }, (_, i) => i % 5); // 0..4 along x
  const labels = new Uint8Array(25);
  for (let y = 1; y < 4; y++) for (let x = 1; x < 4; x++) labels[idx(shape, x, y, 0)] = 2; // a 3x3 square
  const [axial] = planeViews('LPS'); // no flips: pixel (c, r) = voxel (x, y)
  const grid = sliceGrid(shape, [1, 1, 1], axial!, 0, 1);
  const px = (p: { rgb: Uint8Array; width: number }, c: number, r: number) => [...p.rgb.subarray(3 * (r * p.width + c), 3 * (r * p.width + c) + 3)];
  const plain = renderPanel(grid, image, { low: 0, high: 4 }, null);
  assert.deepEqual([0, 1, 2, 3, 4].map((c) => px(plain, c, 0)[0]), [0, 64, 128, 191, 255]);
  const over = renderPanel(grid, image, { low: 0, high: 4 }, labels);
  const colour = LABEL_COLOURS[1]!;
  assert.deepEqual(px(over, 1, 1), colour, 'border of the square: the label colour');
  const grey = 128; // centre voxel x = 2
  assert.deepEqual(px(over, 2, 2), colour.map((k) => Math.round(0.65 * grey + 0.35 * k)), 'inside: 35% colour over grey');
  assert.deepEqual(px(over, 0, 0), [0, 0, 0], 'outside: the image');
});

test('side by side: panels with a white gap, same rows', () => {
  const a = { width: 2, height: 2, rgb: new Uint8Array(12).fill(10) };
  const b = { width: 3, height: 2, rgb: new Uint8Array(18).fill(20) };
  const both = sideBySide([a, b]);
  assert.equal(both.width, 2 + PANEL_GAP + 3);
  assert.equal(both.height, 2);
  const row = [...both.rgb.subarray(0, both.width * 3)].filter((_, i) => i % 3 === 0);
  assert.deepEqual(row, [10, 10, ...Array(PANEL_GAP).fill(255), 20, 20, 20]);
});
