import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Shape3 } from '../src/util/triple.js';
import { type CaseArrays, PatchSampler, caseArraysFromChannels } from '../src/data/sampling/patch_sampler.js';
import { initialPatchSize } from '../src/data/sampling/initial_patch_size.js';
import { cropInto } from '../src/data/sampling/patch_crop.js';
import { Random } from '../src/util/random.js';
import { blobCase } from './helpers/augment_fixtures.js';

const voxels = (s: Shape3): number => s[0] * s[1] * s[2];

test('initial patch size matches nnU-Net get_patch_size (30 degrees, zoom 0.85)', () => {
  assert.deepEqual(initialPatchSize([40, 56, 40]), [73, 80, 64]);
  assert.deepEqual(initialPatchSize([128, 128, 128]), [205, 205, 205]);
  assert.deepEqual(initialPatchSize([40, 56, 40], 0, [1, 1]), [40, 56, 40]);
});

test('foreground is forced exactly for j >= round(B * 0.67)', () => {
  const forcedOf = (b: number): boolean[] => {
    const s = new PatchSampler({ cropSize: [8, 8, 8], patchSize: [8, 8, 8], batchSize: b });
    return Array.from({ length: b }, (_, j) => s.isForced(j));
  };
  assert.deepEqual(forcedOf(1), [false]); // round(0.67) = 1
  assert.deepEqual(forcedOf(2), [false, true]); // round(1.34) = 1
  assert.deepEqual(forcedOf(3), [false, false, true]); // round(2.01) = 2
  assert.deepEqual(forcedOf(9), [false, false, false, false, false, false, true, true, true]); // round(6.03) = 6
});

test('over many batches: the forced fraction follows the rule and every forced patch holds foreground', () => {
  const cases = [blobCase('a', [30, 34, 28]), blobCase('b', [26, 40, 30])];
  const sampler = new PatchSampler({ cropSize: [12, 12, 12], patchSize: [10, 10, 10], batchSize: 3 });
  const rng = new Random(5);
  let forced = 0, total = 0, forcedWithFg = 0, randomWithFg = 0;
  const centreClasses = new Set<number | null>();
  for (let it = 0; it < 400; it++) {
    const batch = sampler.sampleBatch(cases, rng);
    const pn = 12 ** 3;
    batch.draws.forEach((d, j) => {
      total++;
      const patch = batch.label.subarray(j * pn, (j + 1) * pn);
      const hasFg = patch.some((v) => v > 0);
      if (d.forced) {
        forced++;
        if (hasFg) forcedWithFg++;
        centreClasses.add(d.centreClass);
        // The chosen voxel is the patch centre, unless the lower clamp moved the patch.
        assert.ok(d.centreClass === 1 || d.centreClass === 2);
      } else if (hasFg) randomWithFg++;
    });
  }
  assert.equal(forced / total, 1 / 3);
  assert.equal(forcedWithFg, forced, 'every forced patch contains foreground');
  assert.deepEqual([...centreClasses].sort(), [1, 2], 'forced samples pick among the present classes only (never the empty class 3)');
  assert.ok(randomWithFg < (total - forced) * 0.95, 'random patches are not all foreground (the test would be vacuous)');
});

test('a forced patch is centred on a voxel of the chosen class (the centre voxel has that class)', () => {
  const c = blobCase('a', [40, 40, 40]);
  const sampler = new PatchSampler({ cropSize: [9, 9, 9], patchSize: [9, 9, 9], batchSize: 1, oversampleForeground: 1 });
  const rng = new Random(11);
  for (let i = 0; i < 100; i++) {
    const b = sampler.sampleBatch([c], rng);
    const d = b.draws[0]!;
    assert.equal(d.forced, true);
    if (d.box.lo.every((v) => v > 0)) assert.equal(b.label[(4 * 9 + 4) * 9 + 4], d.centreClass);
  }
});

test('random patch starts span nnU-Net bounds [-need//2, shape + need//2 + need%2 - patch]', () => {
  const c = blobCase('a', [20, 20, 20]);
  const sampler = new PatchSampler({ cropSize: [11, 11, 11], patchSize: [8, 8, 8], batchSize: 1, oversampleForeground: 0 });
  const rng = new Random(2);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < 2000; i++) {
    const { box, centreClass } = sampler.sampleBox([20, 20, 20], false, c.classLocations, rng);
    assert.equal(centreClass, null);
    lo = Math.min(lo, ...box.lo); hi = Math.max(hi, ...box.lo);
    assert.deepEqual(box.hi, box.lo.map((v) => v + 11));
  }
  // need = 3: lb = -3 // 2 = -2, ub = 20 + 1 + 1 - 11 = 11
  assert.equal(lo, -2);
  assert.equal(hi, 11);
});

test('cases smaller than the patch are padded: image 0, label -1', () => {
  const small = blobCase('s', [4, 5, 6]);
  small.image.fill(7);
  small.label.fill(1);
  const sampler = new PatchSampler({ cropSize: [8, 8, 8], patchSize: [8, 8, 8], batchSize: 4 });
  const b = sampler.sampleBatch([small], new Random(1));
  const pn = 512;
  for (let j = 0; j < 4; j++) {
    const img = b.image.subarray(j * pn, (j + 1) * pn), lab = b.label.subarray(j * pn, (j + 1) * pn);
    let inside = 0;
    for (let i = 0; i < pn; i++) {
      if (lab[i] === -1) assert.equal(img[i], 0);
      else { assert.equal(lab[i], 1); assert.equal(img[i], 7); inside++; }
    }
    assert.equal(inside, 4 * 5 * 6, 'the whole small case fits in the patch');
  }
});

test('crop copies the overlapping part channel by channel and leaves the rest untouched', () => {
  const src = Float32Array.from({ length: 2 * 27 }, (_, i) => i);
  const dst = new Float32Array(2 * 8).fill(-5);
  cropInto(src, 2, [3, 3, 3], { lo: [2, 2, 2], hi: [4, 4, 4] }, dst, 0);
  assert.deepEqual(Array.from(dst), [26, -5, -5, -5, -5, -5, -5, -5, 53, -5, -5, -5, -5, -5, -5, -5]);
});

test('same seed, same batch; the channel adapter lays channels out one after another', () => {
  const shape: Shape3 = [10, 12, 14];
  const c0 = Float32Array.from({ length: voxels(shape) }, (_, i) => i);
  const c1 = Float32Array.from({ length: voxels(shape) }, (_, i) => -i);
  const label = new Int8Array(voxels(shape));
  label[500] = 1;
  const c: CaseArrays = caseArraysFromChannels('x', [c0, c1], shape, label, new Map([[1, [500]]]));
  assert.deepEqual(c.shape, [2, 10, 12, 14]);
  assert.equal(c.image[voxels(shape) + 3], -3);
  const sampler = new PatchSampler({ cropSize: [6, 6, 6], patchSize: [4, 4, 4], batchSize: 2 });
  const a = sampler.sampleBatch([c], new Random(99)), b = sampler.sampleBatch([c], new Random(99));
  assert.deepEqual(a.image, b.image);
  assert.deepEqual(a.label, b.label);
  assert.deepEqual(a.draws, b.draws);
  assert.ok(a.label.includes(1), 'the forced sample found the single foreground voxel');
  assert.throws(() => caseArraysFromChannels('y', [c0], shape, new Int8Array(3), new Map()), /label has 3 voxels/);
  assert.throws(() => new PatchSampler({ cropSize: [4, 4, 4], patchSize: [6, 6, 6], batchSize: 1 }), RangeError);
});
