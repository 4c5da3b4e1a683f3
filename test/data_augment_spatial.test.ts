import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveTensorCount, tensor, tidy } from '../src/tensor/index.js';
import type { Shape3 } from '../src/util/triple.js';
import { SpatialTransform, type SpatialParams, rotationScaleMatrix } from '../src/data/augment/spatial.js';
import { Mirror } from '../src/data/augment/mirror.js';
import type { Sample } from '../src/data/augment/types.js';
import { Random } from '../src/util/random.js';
import { blobVolume, dice, distinct, threshold } from './helpers/augment_fixtures.js';

const IN: Shape3 = [40, 44, 36];
const OUT: Shape3 = [24, 28, 20];

function blobSample(): Sample {
  const blob = blobVolume(IN, [0.5, 0.45, 0.55], [0.3, 0.15, 0.22]);
  return { image: tensor(blob, [1, 1, ...IN]), label: tensor(Float32Array.from(threshold(blob, 0.5)), [1, 1, ...IN]) };
}

/** Dice between the thresholded augmented image and the augmented label (alignment). */
function alignment(s: Sample): number {
  return dice(threshold(s.image.toTypedArray<'float32'>(), 0.5), s.label.toTypedArray<'float32'>());
}

const rotatedZoomed: SpatialParams = { angles: [0.45, -0.35, 0.5], scale: 1.25 };

test('spatial: rotation + scaling keep image and label aligned (both label interpolations)', () => {
  const before = liveTensorCount();
  tidy(() => {
    const s = blobSample();
    const plain = new SpatialTransform({ patchSize: OUT }).apply(s, { angles: null, scale: null });
    for (const labelInterpolation of ['nearest', 'linear'] as const) {
      const t = new SpatialTransform({ patchSize: OUT, labelInterpolation });
      const out = t.apply(s, rotatedZoomed);
      assert.deepEqual(out.image.shape, [1, 1, ...OUT]);
      assert.deepEqual(out.label.shape, [1, 1, ...OUT]);
      const d = alignment(out);
      assert.ok(d > 0.93, `${labelInterpolation}: image/label Dice ${d.toFixed(3)}`);
      // Not vacuous: the transform really moved the structure.
      const moved = dice(out.label.toTypedArray<'float32'>(), plain.label.toTypedArray<'float32'>());
      assert.ok(moved < 0.8, `${labelInterpolation}: augmented vs plain label Dice ${moved.toFixed(3)}`);
    }
  });
  assert.equal(liveTensorCount(), before);
});

test('spatial: the sampling grid is a rigid voxel-space map, in = centre + A (out - centre)', () => {
  const rng = new Random(4);
  const inLabel = Float32Array.from({ length: IN[0] * IN[1] * IN[2] }, () => rng.int(4));
  tidy(() => {
    const t = new SpatialTransform({ patchSize: OUT, labelInterpolation: 'nearest' });
    const p: SpatialParams = { angles: [0.3, 0.5, -0.4], scale: 0.9 };
    const out = t.apply({ image: tensor(inLabel, [1, 1, ...IN]), label: tensor(inLabel, [1, 1, ...IN]) }, p).label.toTypedArray<'float32'>();
    const a = rotationScaleMatrix(p);
    let agree = 0, n = 0;
    for (let i = 0; i < OUT[0]; i++) for (let j = 0; j < OUT[1]; j++) for (let k = 0; k < OUT[2]; k++) {
      const o = [i - (OUT[0] - 1) / 2, j - (OUT[1] - 1) / 2, k - (OUT[2] - 1) / 2];
      const src = [0, 1, 2].map((r) => Math.round((IN[r]! - 1) / 2 + a[r]![0]! * o[0]! + a[r]![1]! * o[1]! + a[r]![2]! * o[2]!));
      const inside = src.every((v, r) => v >= 0 && v < IN[r]!);
      const expected = inside ? inLabel[(src[0]! * IN[1] + src[1]!) * IN[2] + src[2]!]! : -1;
      if (out[(i * OUT[1] + j) * OUT[2] + k] === expected) agree++;
      n++;
    }
    assert.ok(agree / n > 0.995, `agreement ${(agree / n).toFixed(4)}`);
  });
});

test('spatial: without rotation or scaling the output is the exact centre crop', () => {
  tidy(() => {
    const s = blobSample();
    const out = new SpatialTransform({ patchSize: OUT }).apply(s, { angles: null, scale: null });
    const expected = s.image.narrow(2, 8, 24).narrow(3, 8, 28).narrow(4, 8, 20).contiguous();
    assert.deepEqual(out.image.contiguous().toTypedArray(), expected.toTypedArray());
  });
});

test('spatial: never invents label values (only inputs, and -1 for points outside the input)', () => {
  const rng = new Random(8);
  const values = [-1, 0, 1, 3];
  const lab = Float32Array.from({ length: IN[0] * IN[1] * IN[2] }, () => values[rng.int(4)]!);
  for (const labelInterpolation of ['nearest', 'linear'] as const) {
    tidy(() => {
      const t = new SpatialTransform({ patchSize: OUT, labelInterpolation });
      const s: Sample = { image: tensor(lab, [1, 1, ...IN]), label: tensor(lab, [1, 1, ...IN]) };
      for (let i = 0; i < 5; i++) {
        const p: SpatialParams = { angles: [rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5)], scale: rng.uniform(0.7, 1.4) };
        const got = distinct(t.apply(s, p).label.toTypedArray<'float32'>());
        assert.ok(got.every((v) => values.includes(v)), `${labelInterpolation}: ${got}`);
      }
      // A label without -1 and a grid reaching outside (zoom 1.4): only -1 may be added.
      const noIgnore = tensor(Float32Array.from(lab, (v) => Math.max(v, 0)), [1, 1, ...IN]);
      const got = distinct(t.apply({ image: noIgnore, label: noIgnore }, { angles: [0.5, 0.5, 0.5], scale: 1.4 }).label.toTypedArray<'float32'>());
      assert.ok(got.every((v) => [-1, 0, 1, 3].includes(v)), `${labelInterpolation}: ${got}`);
      assert.ok(got.includes(-1), 'the zoomed-out grid reaches outside the input');
    });
  }
});

test('mirror: flips image and label on the drawn axes together', () => {
  tidy(() => {
    const s = blobSample();
    const m = new Mirror();
    const out = m.apply(s, { axes: [0, 2] });
    assert.deepEqual(out.image.toTypedArray(), s.image.flip([2, 4]).toTypedArray());
    assert.equal(alignment(out), 1);
    assert.ok(dice(out.label.toTypedArray<'float32'>(), s.label.toTypedArray<'float32'>()) < 0.9, 'the blob is off-centre, so flipping moves it');
    const rng = new Random(1);
    const counts = [0, 0, 0];
    let skipped = 0;
    for (let i = 0; i < 4000; i++) {
      const p = m.draw(rng, { channels: 1, spatial: IN });
      if (p === null) skipped++;
      else p.axes.forEach((a) => counts[a]!++);
    }
    for (const c of counts) assert.ok(Math.abs(c / 4000 - 0.5) < 0.03, `axis flip rate ${c / 4000}`);
    assert.ok(Math.abs(skipped / 4000 - 0.125) < 0.02);
  });
});

test('spatial: the broadcast affine grid equals libtorch affine_grid (align_corners false)', async () => {
  const { affineGrid3d } = await import('../src/data/augment/affine_grid.js');
  const { affineTheta } = await import('../src/data/augment/spatial.js');
  const { F } = await import('../src/tensor/index.js');
  tidy(() => {
    const theta = affineTheta({ angles: [0.3, -0.2, 0.6], scale: 1.3 }, IN, OUT);
    const ours = affineGrid3d(theta, OUT);
    const ref = F.affineGrid(tensor(theta, [1, 3, 4]), [1, 1, ...OUT], false);
    assert.deepEqual(ours.shape, ref.shape);
    assert.ok(ours.sub(ref).abs().max().item() < 1e-5);
  });
});
