/** nnU-Net's dummy 2-D augmentation for anisotropic patches: nothing mixes across axis 0. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveTensorCount, tensor, tidy } from '../src/tensor/index.js';
import type { Shape3 } from '../src/util/triple.js';
import { trainingTransforms, useDummy2d } from '../src/data/augment/pipeline.js';
import { SpatialTransform } from '../src/data/augment/spatial.js';
import { SimulateLowResolution } from '../src/data/augment/low_resolution.js';
import { initialPatchSize2d } from '../src/data/sampling/initial_patch_size.js';
import { Random } from '../src/util/random.js';

test('the dummy 2-D rule and its enlarged patch follow nnU-Net', () => {
  assert.equal(useDummy2d([10, 64, 64]), true);
  assert.equal(useDummy2d([20, 64, 48]), true); // 64 / 20 = 3.2 > 3
  assert.equal(useDummy2d([24, 64, 48]), false); // 2.67
});

test('initialPatchSize2d enlarges only the slice plane (90 degree cap, smallest zoom 0.85)', () => {
  assert.deepEqual(initialPatchSize2d([10, 64, 64]), [10, 75, 75]);
  assert.deepEqual(initialPatchSize2d([8, 40, 64]), [8, 75, 75]);
});

/** A volume whose slices along axis 0 are the constants 1, 2, 3, ... */
function slabs(shape: Shape3): Float32Array {
  const n = shape[1] * shape[2];
  return Float32Array.from({ length: shape[0] * n }, (_, i) => 1 + Math.floor(i / n));
}

test('slice-plane rotation and zoom never mix slices along axis 0', () => {
  const before = liveTensorCount();
  const IN: Shape3 = [6, 40, 40], OUT: Shape3 = [6, 24, 24];
  const spatial = new SpatialTransform({ patchSize: OUT, maxRotation: Math.PI, rotationAxes: [0], scaleAxes: [1, 2], pRotation: 1, pScaling: 1 });
  const rng = new Random(5);
  tidy(() => {
    for (let k = 0; k < 5; k++) {
      const p = spatial.draw(rng, { channels: 1, spatial: IN });
      assert.equal(p.angles![1], 0);
      assert.equal(p.angles![2], 0);
      const data = slabs(IN);
      const out = spatial.apply({ image: tensor(data, [1, 1, ...IN]), label: tensor(data, [1, 1, ...IN]) }, p);
      const img = out.image.toTypedArray<'float32'>(), lab = out.label.toTypedArray<'float32'>();
      const n = OUT[1] * OUT[2];
      for (let z = 0; z < OUT[0]; z++) {
        for (let i = z * n; i < (z + 1) * n; i++) {
          assert.ok(img[i] === 0 || Math.abs(img[i]! - (z + 1)) < 1e-5, `image slice ${z} got ${img[i]}`);
          assert.ok(lab[i] === -1 || lab[i] === z + 1, `label slice ${z} got ${lab[i]}`);
        }
      }
    }
  });
  assert.equal(liveTensorCount(), before);
});

test('low-resolution simulation can leave axis 0 alone', () => {
  tidy(() => {
    const IN: Shape3 = [5, 16, 16];
    const lowres = new SimulateLowResolution({ p: 1, pPerChannel: 1, ignoreAxes: [0] });
    const out = lowres.apply({ image: tensor(slabs(IN), [1, 1, ...IN]), label: tensor(slabs(IN), [1, 1, ...IN]) }, { zooms: [0.5] });
    const img = out.image.toTypedArray<'float32'>();
    const n = 256;
    for (let z = 0; z < 5; z++) for (let i = z * n; i < (z + 1) * n; i++) assert.ok(Math.abs(img[i]! - (z + 1)) < 1e-5);
  });
});

test('trainingTransforms switches to dummy 2-D for anisotropic patches', () => {
  const aniso = trainingTransforms({ patchSize: [10, 64, 64] })[0] as SpatialTransform;
  assert.deepEqual(aniso.rotationAxes, [0]);
  assert.equal(aniso.maxRotation, Math.PI);
  const iso = trainingTransforms({ patchSize: [48, 64, 48] })[0] as SpatialTransform;
  assert.deepEqual(iso.rotationAxes, [0, 1, 2]);
});
