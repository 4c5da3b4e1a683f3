import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveTensorCount, tensor, tidy } from '../src/tensor/index.js';
import type { Shape3 } from '../src/util/triple.js';
import { augmentBatch, trainingTransforms } from '../src/data/augment/pipeline.js';
import { DEFAULT_DS_SCALES, deepSupervisionScales, deepSupervisionTargets } from '../src/data/augment/deep_supervision.js';
import { SpatialTransform } from '../src/data/augment/spatial.js';
import { Mirror } from '../src/data/augment/mirror.js';
import { Random } from '../src/util/random.js';
import { blobVolume, dice, distinct, threshold } from './helpers/augment_fixtures.js';

const IN: Shape3 = [44, 48, 40];
const OUT: Shape3 = [24, 32, 24];
const B = 3;

/** A batch of B copies of the blob (image) and its thresholded label. */
function blobBatch(): { image: Float32Array; label: Int8Array } {
  const blob = blobVolume(IN, [0.5, 0.45, 0.55], [0.3, 0.15, 0.22]);
  const image = new Float32Array(B * blob.length), label = new Int8Array(B * blob.length);
  for (let b = 0; b < B; b++) { image.set(blob, b * blob.length); label.set(threshold(blob, 0.5), b * blob.length); }
  return { image, label };
}

test('pipeline: shapes, int64 deep-supervision targets at 1, 1/2, 1/4, 1/8', () => {
  const { image, label } = blobBatch();
  tidy(() => {
    const out = augmentBatch(tensor(image, [B, 1, ...IN]), tensor(label, [B, 1, ...IN]), trainingTransforms({ patchSize: OUT }), new Random(1));
    assert.deepEqual(out.image.shape, [B, 1, ...OUT]);
    assert.equal(out.image.dtype, 'float32');
    assert.deepEqual(out.target.map((t) => t.shape), [[B, 1, 24, 32, 24], [B, 1, 12, 16, 12], [B, 1, 6, 8, 6], [B, 1, 3, 4, 3]]);
    assert.ok(out.target.every((t) => t.dtype === 'int64'));
    assert.equal(out.applied.length, B);
    assert.ok(out.applied.every((a) => 'spatial' in a));
  });
  assert.deepEqual(deepSupervisionScales([[1, 1, 1], [2, 2, 2], [2, 2, 2], [2, 2, 1], [2, 2, 2]]),
    [[1, 1, 1], [0.5, 0.5, 0.5], [0.25, 0.25, 0.25], [0.125, 0.125, 0.25]]);
  assert.equal(DEFAULT_DS_SCALES.length, 4);
});

test('pipeline: deep-supervision targets are nearest-exact subsamples of the full-resolution target', () => {
  tidy(() => {
    const lab = tensor(Int8Array.from({ length: 2 * 8 * 8 * 8 }, (_, i) => (i % 5) - 1), [2, 1, 8, 8, 8]).to('int64');
    const [full, half] = deepSupervisionTargets(lab, [[1, 1, 1], [0.5, 0.5, 0.5]]);
    assert.deepEqual(full!.toArray(), lab.toArray());
    assert.deepEqual(half!.toArray(), lab.slice(2, 1, 8, 2).slice(3, 1, 8, 2).slice(4, 1, 8, 2).contiguous().toArray());
  });
});

test('pipeline: same seed, same batch; another seed, another batch', () => {
  const { image, label } = blobBatch();
  const run = (seed: number): { img: Float32Array; tgt: number[]; applied: string } => tidy(() => {
    const out = augmentBatch(tensor(image, [B, 1, ...IN]), tensor(label, [B, 1, ...IN]), trainingTransforms({ patchSize: OUT }), new Random(seed));
    return { img: out.image.toTypedArray<'float32'>(), tgt: out.target[1]!.toArray(), applied: JSON.stringify(out.applied) };
  });
  const a = run(5), b = run(5), c = run(6);
  assert.deepEqual(a.img, b.img);
  assert.deepEqual(a.tgt, b.tgt);
  assert.equal(a.applied, b.applied);
  assert.notEqual(a.applied, c.applied);
});

test('pipeline: spatial + mirroring keep image and label aligned for every sample', () => {
  const { image, label } = blobBatch();
  const transforms = [new SpatialTransform({ patchSize: OUT, pRotation: 1, pScaling: 1 }), new Mirror()];
  const rng = new Random(3);
  for (let it = 0; it < 4; it++) {
    tidy(() => {
      const out = augmentBatch(tensor(image, [B, 1, ...IN]), tensor(label, [B, 1, ...IN]), transforms, rng);
      const n = OUT[0] * OUT[1] * OUT[2];
      const img = out.image.toTypedArray<'float32'>(), tgt = out.target[0]!.toArray();
      for (let b = 0; b < B; b++) {
        const d = dice(threshold(img.subarray(b * n, (b + 1) * n), 0.5), tgt.slice(b * n, (b + 1) * n));
        assert.ok(d > 0.92, `sample ${b}: Dice ${d.toFixed(3)} (${JSON.stringify(out.applied[b])})`);
      }
    });
  }
});

test('pipeline: augmented targets hold only original label values (and -1 where the grid left the data)', () => {
  const rng = new Random(21);
  const n = IN[0] * IN[1] * IN[2];
  const label = Int8Array.from({ length: B * n }, (_, i) => (Math.floor(i / 97) % 3)); // {0, 1, 2}
  const image = Float32Array.from(label, (v) => v + 0.1);
  const transforms = trainingTransforms({ patchSize: OUT, labelInterpolation: 'linear' });
  const forced = [new SpatialTransform({ patchSize: OUT, pRotation: 1, pScaling: 1 }), ...transforms.slice(1)];
  for (let it = 0; it < 6; it++) {
    tidy(() => {
      const out = augmentBatch(tensor(image, [B, 1, ...IN]), tensor(label, [B, 1, ...IN]), it % 2 ? transforms : forced, rng);
      for (const t of out.target) {
        const values = distinct(t.toTypedArray());
        assert.ok(values.every((v) => [-1, 0, 1, 2].includes(v)), `values ${values}`);
      }
    });
  }
});

test('pipeline: no tensor leaks over many batches', () => {
  const { image, label } = blobBatch();
  const transforms = trainingTransforms({ patchSize: OUT, labelInterpolation: 'linear' });
  const rng = new Random(9);
  const before = liveTensorCount();
  const img = tensor(image, [B, 1, ...IN]), lab = tensor(label, [B, 1, ...IN]);
  for (let i = 0; i < 25; i++) {
    const out = augmentBatch(img, lab, transforms, rng);
    out.image.dispose();
    out.target.forEach((t) => t.dispose());
  }
  img.dispose(); lab.dispose();
  assert.equal(liveTensorCount(), before);
});
