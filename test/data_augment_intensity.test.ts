import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tensor, F, cat, liveTensorCount, randn, tensor, tidy, Generator } from '../src/tensor/index.js';
import { MultiplicativeBrightness } from '../src/data/augment/brightness.js';
import { Contrast } from '../src/data/augment/contrast.js';
import { Gamma } from '../src/data/augment/gamma.js';
import { GaussianNoise } from '../src/data/augment/gaussian_noise.js';
import { GaussianBlur, blurAxis, blurKernelSize, gaussianKernel1d } from '../src/data/augment/gaussian_blur.js';
import { SimulateLowResolution } from '../src/data/augment/low_resolution.js';
import { nearestExactIndices, resizeNearestExact } from '../src/data/augment/resize_nearest.js';
import { drawAroundOne, type Sample, type SampleTransform } from '../src/data/augment/types.js';
import { Random } from '../src/util/random.js';

const SHAPE = [1, 2, 16, 18, 14];

/** Two channels with different statistics; label unused by intensity transforms. */
function sample(seed = 1): Sample {
  const g = new Generator(seed);
  const a = randn([1, 1, 16, 18, 14], { generator: g }).mul(2).add(5);
  const b = randn([1, 1, 16, 18, 14], { generator: g }).abs().mul(0.5).sub(1);
  return { image: cat([a, b], 1), label: tensor(new Float32Array(16 * 18 * 14), [1, 1, 16, 18, 14]) };
}
const ch = (t: Tensor, c: number): Tensor => t.narrow(1, c, 1);
const num = (t: Tensor): number => t.item();
const close = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('brightness multiplies each channel (and so its mean) by its drawn factor', () => {
  tidy(() => {
    const s = sample();
    const t = new MultiplicativeBrightness();
    const out = t.apply(s, { factors: [1.2, 0.8] }).image;
    close(num(ch(out, 0).mean()), 1.2 * num(ch(s.image, 0).mean()), 1e-4, 'ch0 mean');
    close(num(ch(out, 1).mean()), 0.8 * num(ch(s.image, 1).mean()), 1e-4, 'ch1 mean');
    assert.deepEqual(out.shape, SHAPE);
  });
});

test('contrast scales deviations from the mean and keeps the original range', () => {
  tidy(() => {
    const s = sample();
    const t = new Contrast();
    const down = t.apply(s, { factors: [0.8, 0.8] }).image; // < 1: no clipping, mean kept, std scaled
    for (const c of [0, 1]) {
      close(num(ch(down, c).mean()), num(ch(s.image, c).mean()), 1e-4, 'mean');
      close(num(ch(down, c).std()), 0.8 * num(ch(s.image, c).std()), 1e-4, 'std');
    }
    const up = t.apply(s, { factors: [1.25, 1.25] }).image; // > 1: clipped to the original range
    for (const c of [0, 1]) {
      close(num(ch(up, c).min()), num(ch(s.image, c).min()), 1e-6, 'min');
      close(num(ch(up, c).max()), num(ch(s.image, c).max()), 1e-6, 'max');
      assert.ok(num(ch(up, c).std()) > num(ch(s.image, c).std()));
    }
  });
});

test('gamma (plain and inverted) with retain-stats keeps each channel\'s mean and std, and changes the shape of the histogram', () => {
  tidy(() => {
    const s = sample();
    for (const invert of [false, true]) {
      const g = new Gamma({ invert });
      const out = g.apply(s, { gammas: [1.4, 0.7], invert, retainStats: true }).image;
      for (const c of [0, 1]) {
        close(num(ch(out, c).mean()), num(ch(s.image, c).mean()), 1e-3, `invert=${invert} mean`);
        close(num(ch(out, c).std()), num(ch(s.image, c).std()), 1e-3, `invert=${invert} std`);
        assert.ok(num(ch(out, c).sub(ch(s.image, c)).abs().max()) > 0.05, 'not an identity');
      }
    }
    // Without retain-stats, the range is what is kept.
    const raw = new Gamma().apply(s, { gammas: [2, 2], invert: false, retainStats: false }).image;
    close(num(ch(raw, 0).min()), num(ch(s.image, 0).min()), 1e-4, 'min');
    close(num(ch(raw, 0).max()), num(ch(s.image, 0).max()), 1e-4, 'max');
  });
});

test('gaussian noise: zero-mean noise of the drawn std, shared by all channels, reproducible from its seed', () => {
  tidy(() => {
    const s = sample();
    const t = new GaussianNoise();
    const out = t.apply(s, { std: 0.08, seed: 123 }).image;
    const diff = out.sub(s.image);
    close(num(diff.mean()), 0, 0.005, 'noise mean');
    close(num(diff.std()), 0.08, 0.004, 'noise std');
    close(num(ch(diff, 0).sub(ch(diff, 1)).abs().max()), 0, 1e-5, 'same noise field in every channel');
    assert.deepEqual(t.apply(s, { std: 0.08, seed: 123 }).image.toTypedArray(), out.toTypedArray());
  });
});

test('gaussian blur: kernel sizes and sums as batchgeneratorsv2; constant stays constant; noise variance drops; skipped channels untouched', () => {
  assert.equal(blurKernelSize(0.5), 3);
  assert.equal(blurKernelSize(1), 7);
  assert.equal(blurKernelSize(0.75), 5);
  close(gaussianKernel1d(0.8).reduce((a, b) => a + b, 0), 1, 1e-6, 'kernel sum');
  tidy(() => {
    const t = new GaussianBlur();
    const flat = tensor(new Float32Array(2 * 16 * 18 * 14).fill(3), SHAPE);
    const blurredFlat = t.apply({ image: flat, label: flat }, { sigmas: [[1, 0.5, 0.7], [0.6, 0.6, 0.6]] }).image;
    close(num(blurredFlat.sub(3).abs().max()), 0, 1e-5, 'constant image');
    const s = sample();
    const out = t.apply(s, { sigmas: [[1, 1, 1], null] }).image;
    assert.deepEqual(out.shape, SHAPE);
    assert.ok(num(ch(out, 0).std()) < 0.5 * num(ch(s.image, 0).std()), 'white noise is smoothed');
    close(num(ch(out, 0).mean()), num(ch(s.image, 0).mean()), 0.05, 'mean about kept (reflect padding)');
    assert.deepEqual(ch(out, 1).contiguous().toTypedArray(), ch(s.image, 1).contiguous().toTypedArray());
  });
});

test('nearest-exact resizing picks floor((i + 0.5) * in / out), like torch', () => {
  assert.deepEqual(Array.from(nearestExactIndices(10, 5)), [1, 3, 5, 7, 9]);
  assert.deepEqual(Array.from(nearestExactIndices(5, 10)), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
  assert.deepEqual(Array.from(nearestExactIndices(7, 3)), [1, 3, 5]);
  tidy(() => {
    const x = tensor(Float32Array.from({ length: 4 * 4 * 4 }, (_, i) => i), [1, 1, 4, 4, 4]);
    const y = resizeNearestExact(x, [2, 2, 2]);
    assert.deepEqual(Array.from(y.toTypedArray<'float32'>()), [21, 23, 29, 31, 53, 55, 61, 63]);
  });
});

test('low resolution: zoom 1 is the identity, zoom 0.5 loses detail but keeps shape and range', () => {
  tidy(() => {
    const s = sample();
    const t = new SimulateLowResolution();
    const same = t.apply(s, { zooms: [1, null] }).image;
    close(num(same.sub(s.image).abs().max()), 0, 1e-5, 'zoom 1');
    const low = t.apply(s, { zooms: [0.5, null] }).image;
    assert.deepEqual(low.shape, SHAPE);
    assert.ok(num(ch(low, 0).min()) >= num(ch(s.image, 0).min()) - 1e-5 && num(ch(low, 0).max()) <= num(ch(s.image, 0).max()) + 1e-5);
    assert.ok(num(ch(low, 0).sub(ch(s.image, 0)).abs().mean()) > 0.1, 'detail was lost');
    assert.deepEqual(ch(low, 1).contiguous().toTypedArray(), ch(s.image, 1).contiguous().toTypedArray());
  });
});

test('apply probabilities and parameter ranges follow nnU-Net v2', () => {
  const transforms: [SampleTransform, number][] = [
    [new GaussianNoise(), 0.1], [new GaussianBlur(), 0.2], [new MultiplicativeBrightness(), 0.15],
    [new Contrast(), 0.15], [new SimulateLowResolution(), 0.25], [new Gamma({ invert: true }), 0.1], [new Gamma(), 0.3],
  ];
  const rng = new Random(17);
  const n = 20_000;
  for (const [t, p] of transforms) {
    let applied = 0;
    for (let i = 0; i < n; i++) if (t.draw(rng, { channels: 2, spatial: [16, 18, 14] }) !== null) applied++;
    close(applied / n, p, 0.012, `${t.name} rate`);
  }
  const noise = new GaussianNoise({ p: 1 }), blur = new GaussianBlur({ p: 1 }), low = new SimulateLowResolution({ p: 1 });
  let blurred = 0, lowered = 0;
  for (let i = 0; i < 2000; i++) {
    const np = noise.draw(rng, { channels: 2, spatial: [8, 8, 8] })!;
    assert.ok(np.std >= 0 && np.std < 0.1);
    for (const s of blur.draw(rng, { channels: 2, spatial: [8, 8, 8] })!.sigmas) if (s) { blurred++; assert.ok(s.every((v) => v >= 0.5 && v < 1)); }
    for (const z of low.draw(rng, { channels: 2, spatial: [8, 8, 8] })!.zooms) if (z !== null) { lowered++; assert.ok(z >= 0.5 && z < 1); }
  }
  close(blurred / 4000, 0.5, 0.04, 'blur per-channel rate');
  close(lowered / 4000, 0.5, 0.04, 'low-res per-channel rate');
  // BGContrast: half of the draws below 1, half above.
  let below = 0;
  for (let i = 0; i < 4000; i++) {
    const f = drawAroundOne(rng, [0.75, 1.25]);
    assert.ok(f >= 0.75 && f < 1.25);
    if (f < 1) below++;
  }
  close(below / 4000, 0.5, 0.03, 'BGContrast below 1');
});

test('intensity transforms free every temporary', () => {
  const before = liveTensorCount();
  const s = tidy(() => sample());
  const ts: [SampleTransform, unknown][] = [
    [new MultiplicativeBrightness(), { factors: [1.1, 0.9] }], [new Contrast(), { factors: [1.2, 0.8] }],
    [new Gamma(), { gammas: [1.3, 0.8], invert: false, retainStats: true }], [new GaussianNoise(), { std: 0.05, seed: 1 }],
    [new GaussianBlur(), { sigmas: [[0.7, 0.8, 0.9], [0.5, 0.5, 0.5]] }], [new SimulateLowResolution(), { zooms: [0.6, 0.8] }],
  ];
  for (let i = 0; i < 5; i++) for (const [t, p] of ts) tidy(() => { t.apply(s, p); });
  s.image.dispose(); s.label.dispose();
  assert.equal(liveTensorCount(), before);
});

test('mask outside: channels normalised inside the mask get 0 where the label is -1, others are kept', async () => {
  const { MaskOutside } = await import('../src/data/augment/mask_outside.js');
  tidy(() => {
    const s = sample();
    const lab = Float32Array.from({ length: 16 * 18 * 14 }, (_, i) => (i % 3 === 0 ? -1 : i % 2));
    const label = tensor(lab, [1, 1, 16, 18, 14]);
    const t = new MaskOutside([0]);
    const p = t.draw(new Random(1), { channels: 2, spatial: [16, 18, 14] })!;
    assert.deepEqual(p, { channels: [0] });
    const out = t.apply({ image: s.image, label }, p).image;
    const o0 = ch(out, 0).contiguous().toTypedArray<'float32'>(), i0 = ch(s.image, 0).contiguous().toTypedArray<'float32'>();
    for (let i = 0; i < lab.length; i++) assert.equal(o0[i], lab[i] === -1 ? 0 : i0[i]);
    assert.deepEqual(ch(out, 1).contiguous().toTypedArray(), ch(s.image, 1).contiguous().toTypedArray());
    assert.equal(new MaskOutside([3]).draw(new Random(1), { channels: 2, spatial: [1, 1, 1] }), null);
  });
});

test('blur along an axis equals conv3d with the 1-D Gaussian kernel on the reflect-padded input', () => {
  tidy(() => {
    const x = randn([1, 1, 9, 10, 11], { generator: new Generator(4) });
    for (const axis of [0, 1, 2]) {
      const kernel = gaussianKernel1d(0.9), half = (kernel.length - 1) / 2;
      const shape = [1, 1, 1, 1, 1];
      shape[2 + axis] = kernel.length;
      const pads = [0, 0, 0, 0, 0, 0];
      pads[2 * (2 - axis)] = half; pads[2 * (2 - axis) + 1] = half;
      const reference = F.conv3d(F.pad(x, pads, 'reflect'), tensor(kernel, shape));
      close(num(blurAxis(x, 0.9, axis).sub(reference).abs().max()), 0, 1e-5, `axis ${axis}`);
    }
  });
});
