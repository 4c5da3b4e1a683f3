/**
 * Sliding-window prediction against independent references: a network whose output depends on the
 * window (its mean) checked against a plain loop over nnU-Net's window positions and Gaussian weights;
 * batching windows changes nothing; test-time mirroring equals the average of flipped predictions
 * and leaves a flip-symmetric network's output unchanged; no tensor leaks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, readFixture } from './helpers.js';
import { FixedConvNet, WindowMeanNet } from './helpers/infer_networks.js';
import { Conv3d, Module } from '../src/nn/index.js';
import type { Shape3 } from '../src/util/triple.js';
import { gaussianImportanceMap } from '../src/infer/gaussian.js';
import { predictSlidingWindow, slidingWindowForwards } from '../src/infer/predict_logits.js';
import { libtorchWindowForward } from '../src/infer/libtorch_forward.js';
import { mirrorCombinations, paddingFor, windowStarts } from '../src/infer/sliding_window.js';
import { type Tensor, cat, liveTensorCount, noGrad, tensor, tidy } from '../src/tensor/index.js';

function randomImage(shape: Shape3, seed: number): Float32Array {
  let s = seed >>> 0;
  return new Float32Array(shape[0] * shape[1] * shape[2]).map(() => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32 - 0.5; });
}

/** Gaussian-weighted average of per-window means, by plain loops over the padded image. */
function windowMeanReference(image: Float32Array, shape: Shape3, patch: Shape3, step: number): Float32Array {
  const pad = paddingFor(shape, patch), P = pad.shape;
  const padded = new Float64Array(P[0] * P[1] * P[2]);
  for (let a = 0; a < shape[0]; a++) for (let b = 0; b < shape[1]; b++) for (let c = 0; c < shape[2]; c++) {
    padded[((a + pad.before[0]) * P[1] + b + pad.before[1]) * P[2] + c + pad.before[2]] = image[(a * shape[1] + b) * shape[2] + c]!;
  }
  const g = gaussianImportanceMap(patch);
  const acc = new Float64Array(padded.length), w = new Float64Array(padded.length);
  for (const s of windowStarts(P, patch, step)) {
    let sum = 0;
    for (let a = 0; a < patch[0]; a++) for (let b = 0; b < patch[1]; b++) for (let c = 0; c < patch[2]; c++) sum += padded[((s[0] + a) * P[1] + s[1] + b) * P[2] + s[2] + c]!;
    const mean = sum / (patch[0] * patch[1] * patch[2]);
    for (let a = 0; a < patch[0]; a++) for (let b = 0; b < patch[1]; b++) for (let c = 0; c < patch[2]; c++) {
      const i = ((s[0] + a) * P[1] + s[1] + b) * P[2] + s[2] + c, gi = g[(a * patch[1] + b) * patch[2] + c]!;
      acc[i] += gi * mean; w[i] += gi;
    }
  }
  const out = new Float32Array(shape[0] * shape[1] * shape[2]);
  for (let a = 0; a < shape[0]; a++) for (let b = 0; b < shape[1]; b++) for (let c = 0; c < shape[2]; c++) {
    const i = ((a + pad.before[0]) * P[1] + b + pad.before[1]) * P[2] + c + pad.before[2];
    out[(a * shape[1] + b) * shape[2] + c] = acc[i]! / w[i]!;
  }
  return out;
}

test('window placement and Gaussian weighting: equals a plain loop, also with padding and several windows per forward', async () => {
  const net = new WindowMeanNet();
  const cases: { shape: Shape3; patch: Shape3; step: number }[] = [
    { shape: [21, 18, 30], patch: [8, 12, 16], step: 0.5 },
    { shape: [5, 40, 9], patch: [8, 16, 12], step: 0.5 }, // smaller than the patch on two axes: padded
    { shape: [17, 17, 17], patch: [8, 8, 8], step: 0.3 },
  ];
  const before = liveTensorCount();
  for (const { shape, patch, step } of cases) {
    const image = randomImage(shape, shape[0] * 7 + shape[2]);
    const expected = windowMeanReference(image, shape, patch, step);
    for (const windowsPerForward of [1, 3]) {
      const r = await predictSlidingWindow(libtorchWindowForward(net), [image], shape, { patchSize: patch, numClasses: 2, step, windowsPerForward, mirrorAxes: [] });
      assertClose(r.logits[0]!, expected, { rtol: 1e-5, atol: 1e-6 }, `${shape} patch ${patch} batch ${windowsPerForward}`);
      assertClose(r.logits[1]!, expected.map((v) => -v), { rtol: 1e-5, atol: 1e-6 }, 'class 1');
      assert.equal(r.windows, windowStarts(paddingFor(shape, patch).shape, patch, step).length);
    }
  }
  assert.equal(liveTensorCount(), before, 'no tensor leaks');
});

const BOX = Array.from({ length: 27 }, () => 1 / 27);
// one off-centre tap: the output is the input shifted, so mirroring changes it
const SHIFT = Array.from({ length: 27 }, (_, i) => (i === 5 ? 1 : 0));

test('mirroring TTA: a flip-symmetric network gives the same logits with and without it', async () => {
  const net = new FixedConvNet(BOX);
  const shape: Shape3 = [19, 23, 14], patch: Shape3 = [12, 12, 16];
  const image = randomImage(shape, 3);
  const plain = await predictSlidingWindow(libtorchWindowForward(net), [image], shape, { patchSize: patch, numClasses: 2, mirrorAxes: [] });
  const tta = await predictSlidingWindow(libtorchWindowForward(net), [image], shape, { patchSize: patch, numClasses: 2, mirrorAxes: [0, 1, 2], windowsPerForward: 2 });
  assert.equal(plain.forwards, plain.windows);
  assert.equal(tta.forwards, Math.ceil(tta.windows / 2) * 8);
  assertClose(tta.logits[0]!, plain.logits[0]!, { rtol: 1e-5, atol: 1e-6 }, 'TTA vs none');
  net.dispose();
});

test('mirroring TTA averages flip(net(flip(x))) over every axis combination (asymmetric network)', async () => {
  const net = new FixedConvNet(SHIFT);
  const shape: Shape3 = [8, 12, 10]; // = the patch: one window, the Gaussian weight cancels
  const image = randomImage(shape, 11);
  for (const axes of [[0, 1, 2], [1, 2]]) {
    const tta = await predictSlidingWindow(libtorchWindowForward(net), [image], shape, { patchSize: shape, numClasses: 2, mirrorAxes: axes });
    const expected = noGrad(() => tidy(() => {
      const x = tensor(image, [1, 1, ...shape]);
      let sum = x.mul(0).narrow(1, 0, 1);
      for (const combo of mirrorCombinations(axes)) {
        const dims = combo.map((a) => a + 2);
        const y = dims.length ? net.forward(x.flip(dims)).logits[0]!.flip(dims) : net.forward(x).logits[0]!;
        sum = sum.add(y.narrow(1, 0, 1));
      }
      return sum.div(mirrorCombinations(axes).length).toTypedArray<'float32'>();
    }));
    assertClose(tta.logits[0]!, expected, { rtol: 1e-5, atol: 1e-6 }, `axes ${axes}`);
    const plain = await predictSlidingWindow(libtorchWindowForward(net), [image], shape, { patchSize: shape, numClasses: 2, mirrorAxes: [] });
    const differs = plain.logits[0]!.some((v, i) => Math.abs(v - tta.logits[0]![i]!) > 1e-3);
    assert.ok(differs, 'mirroring changes an asymmetric network\'s output');
  }
  net.dispose();
});

test('a network with the wrong number of classes is an error naming the shapes', async () => {
  const net = new WindowMeanNet();
  await assert.rejects(() => predictSlidingWindow(libtorchWindowForward(net), [randomImage([8, 8, 8], 1)], [8, 8, 8], { patchSize: [8, 8, 8], numClasses: 3 }), /returned 1024 values for 1 window\(s\) of 8x8x8, expected 3 classes \(logits \[1,3,8,8,8\]/);
});

interface SlidingReference { image: number[]; shape: number[]; weight: number[]; bias: number[]; patch: Shape3; step: number; plain: number[]; mirrored: number[] }

class ConvNet extends Module<[Tensor], { logits: Tensor[] }> {
  readonly conv: Conv3d;
  constructor(weight: number[], bias: number[]) {
    super();
    this.conv = this.registerModule('conv', new Conv3d(2, 3, 3));
    noGrad(() => tidy(() => {
      this.conv.stateDict().get('weight')!.copy_(tensor(weight, [3, 2, 3, 3, 3]));
      this.conv.stateDict().get('bias')!.copy_(tensor(bias, [3]));
    }));
  }
  forward(x: Tensor): { logits: Tensor[] } { return { logits: [this.conv.forward(x)] }; }
}

test('whole sliding-window prediction equals nnU-Net predict_sliding_window_return_logits (PyTorch reference, 2 channels, 3 classes, padded, with and without mirroring)', async () => {
  const r = readFixture<{ slidingWindow: SlidingReference }>('infer_reference.json').slidingWindow;
  const net = new ConvNet(r.weight, r.bias);
  const shape = r.shape.slice(1) as Shape3, n = shape[0] * shape[1] * shape[2];
  const images = [0, 1].map((c) => Float32Array.from(r.image.slice(c * n, (c + 1) * n)));
  for (const [name, axes] of [['plain', []], ['mirrored', [0, 1, 2]]] as const) {
    const out = await predictSlidingWindow(libtorchWindowForward(net), images, shape, { patchSize: r.patch, numClasses: 3, step: r.step, mirrorAxes: axes, windowsPerForward: 2 });
    const flat = new Float32Array(3 * n);
    out.logits.forEach((l, c) => flat.set(l, c * n));
    assertClose(flat, r[name], { rtol: 1e-5, atol: 1e-5 }, name);
  }
  net.dispose();
});

test('each mirrored forward frees its tensors: live tensors do not pile up across the 8 forwards', async () => {
  const counts: number[] = [];
  class Counting extends Module<[Tensor], { logits: Tensor[] }> {
    forward(x: Tensor): { logits: Tensor[] } {
      counts.push(liveTensorCount());
      let h = x;
      for (let i = 0; i < 5; i++) h = h.mul(1.5).add(0.1); // intermediates a network would leave in scope
      return { logits: [cat([h, h.neg()], 1)] };
    }
  }
  const shape: Shape3 = [8, 8, 8];
  await predictSlidingWindow(libtorchWindowForward(new Counting()), [randomImage(shape, 5)], shape, { patchSize: shape, numClasses: 2, mirrorAxes: [0, 1, 2] });
  assert.equal(counts.length, 8);
  // every forward starts with the same live tensors (the batch's input, made from the flipped typed array)
  assert.ok(counts.every((c) => c === counts[0]!), `live tensors at each forward: ${counts}`);
});

test('progress counts every network forward up to slidingWindowForwards\' total (what predict\'s bar is sized by)', async () => {
  const net = new WindowMeanNet();
  const shape: Shape3 = [21, 18, 30], o = { patchSize: [8, 12, 16] as Shape3, numClasses: 2, mirrorAxes: [0, 2], windowsPerForward: 3 };
  const calls: [number, number][] = [];
  const r = await predictSlidingWindow(libtorchWindowForward(net), [randomImage(shape, 9)], shape, { ...o, onProgress: (d, t) => calls.push([d, t]) });
  const total = slidingWindowForwards(shape, o);
  assert.equal(total, Math.ceil(r.windows / 3) * 4);
  assert.deepEqual(calls, Array.from({ length: total }, (_, i) => [i + 1, total]));
  assert.equal(r.forwards, total);
});
