import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Shape3 } from '../src/util/triple.js';
import { voxelCount } from '../src/util/triple.js';
import { bboxOfMask, cropToNonzero, fillHoles, pasteCrop } from '../src/data/preprocess/crop.js';
import { normalizeChannel, schemeForChannel, useMaskForNorm } from '../src/data/preprocess/normalize.js';
import { meanStd, weightedPercentiles, weightedStats } from '../src/data/common/stats.js';
import { inversePermutation } from '../src/util/triple.js';
import { transpose3 } from '../src/data/preprocess/transpose.js';
import { sampleForegroundLocations } from '../src/data/preprocess/foreground_locations.js';
import { Random } from '../src/util/random.js';
import { drawCountsWithReplacement, sampleWithoutReplacement } from '../src/data/common/draws.js';

const at = (shape: Shape3, a: number, b: number, c: number): number => (a * shape[1] + b) * shape[2] + c;

test('crop to non-zero: bbox over all channels, label outside the mask becomes -1, paste restores', () => {
  const shape: Shape3 = [6, 7, 8];
  const c0 = new Float32Array(voxelCount(shape)), c1 = new Float32Array(voxelCount(shape));
  c0[at(shape, 1, 2, 3)] = 5;
  c1[at(shape, 4, 5, 6)] = -2;
  const label = new Int8Array(voxelCount(shape));
  label[at(shape, 2, 3, 4)] = 1;
  const r = cropToNonzero([c0, c1], shape, label);
  assert.deepEqual(r.bbox, [[1, 5], [2, 6], [3, 7]]);
  assert.deepEqual(r.shape, [4, 4, 4]);
  assert.equal(r.images[0]![0], 5);
  assert.equal(r.images[1]![63], -2);
  assert.equal(r.label![0], 0); // inside the mask, background
  assert.equal(r.label![1], -1); // outside the mask
  assert.equal(r.label![at([4, 4, 4], 1, 1, 1)], 1); // labelled voxels keep their class
  const back = pasteCrop(r.images[0]!, shape, r.bbox);
  assert.deepEqual(back, c0);
});

test('fill holes: an enclosed cavity is filled, a channel to the border is not', () => {
  const shape: Shape3 = [5, 5, 5];
  const m = new Uint8Array(125);
  for (let a = 1; a < 4; a++) for (let b = 1; b < 4; b++) for (let c = 1; c < 4; c++) m[at(shape, a, b, c)] = 1;
  m[at(shape, 2, 2, 2)] = 0;
  fillHoles(m, shape);
  assert.equal(m[at(shape, 2, 2, 2)], 1);
  const open = new Uint8Array(125);
  for (let a = 1; a < 4; a++) for (let b = 1; b < 4; b++) for (let c = 1; c < 4; c++) open[at(shape, a, b, c)] = 1;
  open[at(shape, 2, 2, 2)] = 0; open[at(shape, 2, 2, 3)] = 0; // tunnel to the outside
  fillHoles(open, shape);
  assert.equal(open[at(shape, 2, 2, 2)], 0);
  assert.deepEqual(bboxOfMask(new Uint8Array(125), shape), [[0, 5], [0, 5], [0, 5]]);
});

test('z-score normalisation gives mean 0, std 1 (whole image and inside the mask)', () => {
  const img = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 50 + 200);
  normalizeChannel(img, { scheme: 'zscore', useMask: false });
  const s = meanStd(img);
  assert.ok(Math.abs(s.mean) < 1e-5 && Math.abs(s.std - 1) < 1e-5);
  const masked = Float32Array.from({ length: 1000 }, (_, i) => (i < 500 ? 0 : i % 7));
  const mask = Uint8Array.from({ length: 1000 }, (_, i) => (i < 500 ? 0 : 1));
  normalizeChannel(masked, { scheme: 'zscore', useMask: true }, mask);
  const sm = meanStd(masked, mask);
  assert.ok(Math.abs(sm.mean) < 1e-5 && Math.abs(sm.std - 1) < 1e-5);
  assert.equal(masked[0], 0); // outside the mask untouched
});

test('CT normalisation clips to the percentiles then uses the dataset mean/std', () => {
  const img = Float32Array.from([-1000, 0, 50, 100, 3000]);
  const intensity = { mean: 50, std: 25, median: 50, min: -1000, max: 3000, percentile_00_5: -20, percentile_99_5: 150 };
  normalizeChannel(img, { scheme: 'CT', useMask: false, intensity });
  assert.deepEqual(Array.from(img), [-2.8, -2, 0, 2, 4].map((v) => Math.fround(v)));
});

test('scheme and mask rules follow nnU-Net', () => {
  assert.equal(schemeForChannel('CT'), 'CT');
  assert.equal(schemeForChannel('ct'), 'CT');
  assert.equal(schemeForChannel('MRI'), 'zscore');
  assert.equal(schemeForChannel('noNorm'), 'none');
  assert.equal(schemeForChannel('rescale_to_0_1'), 'rescale01');
  assert.equal(schemeForChannel('RGB_to_0_1'), 'rgb01');
  const img = Float32Array.from([2, 4, 6]);
  normalizeChannel(img, { scheme: 'rescale01', useMask: false });
  assert.deepEqual(Array.from(img), [0, 0.5, 1]);
  const rgb = Float32Array.from([0, 63.75, 255, 300]);
  normalizeChannel(rgb, { scheme: 'rgb01', useMask: false });
  assert.deepEqual(Array.from(rgb), [0, 0.25, 1, 1]);
  assert.equal(useMaskForNorm('zscore', 0.74), true);
  assert.equal(useMaskForNorm('zscore', 0.75), false);
  assert.equal(useMaskForNorm('CT', 0.5), false);
});

test('weighted percentiles equal numpy on the expanded sample', () => {
  // numpy: np.percentile([1,2,2,2,5,9], [0.5, 50, 99.5]) = [1.025, 2.0, 8.9]
  const s = { values: Float32Array.from([9, 2, 1, 5]), counts: Uint32Array.from([1, 3, 1, 1]) };
  const [a, b, c] = weightedPercentiles(s, [0.5, 50, 99.5]);
  assert.ok(Math.abs(a! - 1.025) < 1e-9 && b === 2 && Math.abs(c! - 8.9) < 1e-9);
  const st = weightedStats(s);
  assert.ok(Math.abs(st.mean - 21 / 6) < 1e-12);
  assert.equal(st.min, 1); assert.equal(st.max, 9); assert.equal(st.median, 2);
  // duplicate values across entries are merged
  const d = weightedPercentiles({ values: Float32Array.from([3, 3, 1]), counts: Uint32Array.from([1, 1, 2]) }, [50]);
  assert.equal(d[0], 2);
});

test('transpose and its inverse round-trip', () => {
  const shape: Shape3 = [2, 3, 4];
  const data = Float32Array.from({ length: 24 }, (_, i) => i);
  const p: [number, number, number] = [2, 0, 1];
  const t = transpose3(data, shape, p);
  assert.deepEqual(t.shape, [4, 2, 3]);
  assert.equal(t.data[at([4, 2, 3], 3, 1, 2)], data[at(shape, 1, 2, 3)]);
  const back = transpose3(t.data, t.shape, inversePermutation(p));
  assert.deepEqual(back.shape, shape);
  assert.deepEqual(back.data, data);
});

test('seeded sampling: reproducible, without replacement is distinct, counts sum to draws', () => {
  const a = sampleWithoutReplacement(1000, 100, new Random(7)), b = sampleWithoutReplacement(1000, 100, new Random(7));
  assert.deepEqual(a, b);
  assert.equal(new Set(a).size, 100);
  assert.equal(new Set(sampleWithoutReplacement(50, 40, new Random(1))).size, 40);
  const counts = drawCountsWithReplacement(10, 12345, new Random(3));
  assert.equal(counts.reduce((x, y) => x + y, 0), 12345);
});

test('foreground locations: capped at the sample count, at least 1% coverage, only the class', () => {
  const label = new Int8Array(2_000_000);
  for (let i = 0; i < 1_500_000; i++) label[i] = 1;
  for (let i = 1_500_000; i < 1_500_050; i++) label[i] = 2;
  const locs = sampleForegroundLocations(label, [1, 2, 3]);
  assert.equal(locs.get(1)!.length, 15000); // 1% of 1.5M > 10000
  assert.equal(locs.get(2)!.length, 50);
  assert.equal(locs.get(3)!.length, 0);
  for (const i of locs.get(1)!) assert.equal(label[i], 1);
  assert.deepEqual(sampleForegroundLocations(label, [1]).get(1), locs.get(1)); // seeded
});
