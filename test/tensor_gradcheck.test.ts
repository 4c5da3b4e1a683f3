/**
 * Gradients against central finite differences in float64: an independent check of autograd
 * through the binding (argument order, which input gets which gradient).
 */
import { test } from 'node:test';
import { F, type Tensor, noGrad, randn, tensor, tidy, Generator } from '../src/tensor/index.js';
import { assertClose } from './helpers.js';

const gen = new Generator(7);
const r = (...shape: number[]) => randn(shape, { dtype: 'float64', generator: gen });

/** Checks d(sum(f(xs) * w))/dx_i for every element of every input in `check`. */
function gradcheck(name: string, f: (...xs: Tensor[]) => Tensor, xs: Tensor[], check: number[] = xs.map((_, i) => i), eps = 1e-6) {
  tidy(() => {
    const inputs = xs.map((x, i) => (check.includes(i) ? x.clone().requiresGrad_() : x));
    const out = f(...inputs);
    const w = randn(out.shape, { dtype: 'float64', generator: gen });
    out.mul(w).sum().backward();
    for (const i of check) {
      const analytic = inputs[i].grad!.toArray();
      const base = xs[i].toArray();
      const numeric = base.map((_, k) => {
        const at = (delta: number) => noGrad(() => tidy(() => {
          const v = base.slice();
          v[k] += delta;
          const args = xs.slice();
          args[i] = tensor(v, xs[i].shape, { dtype: 'float64' });
          return f(...args).mul(w).sum().item();
        }));
        return (at(eps) - at(-eps)) / (2 * eps);
      });
      assertClose(analytic, numeric, { rtol: 1e-5, atol: 1e-6 }, `${name}: input ${i}`);
    }
  });
}

test('finite differences: elementwise and reductions', () => {
  gradcheck('mul/div/exp', (a, b) => a.mul(b).div(b.abs().add(1)).exp(), [r(3, 2), r(3, 2)]);
  gradcheck('pow/sqrt/log', (a) => a.abs().add(0.5).sqrt().log().pow(2), [r(5)]);
  gradcheck('softmax/logsumexp-ish', (a) => a.softmax(1).mul(a.logSoftmax(1)), [r(2, 4)]);
  gradcheck('mean/var', (a) => a.var(1, 1, true).add(a.mean([0, 1])), [r(3, 4)]);
  gradcheck('matmul', (a, b) => a.matmul(b), [r(3, 4), r(4, 2)]);
  gradcheck('sigmoid/leaky', (a) => a.sigmoid().mul(a.leakyRelu(0.01)), [r(6)]);
});

test('finite differences: conv3d (anisotropic, strided, grouped) and transposed conv', () => {
  gradcheck('conv3d k133', (x, w, b) => F.conv3d(x, w, b, { padding: [0, 1, 1] }), [r(1, 2, 3, 4, 4), r(2, 2, 1, 3, 3), r(2)]);
  gradcheck('conv3d stride 2', (x, w) => F.conv3d(x, w, null, { stride: 2, padding: 1 }), [r(1, 1, 4, 4, 4), r(2, 1, 3, 3, 3)]);
  gradcheck('conv3d groups', (x, w) => F.conv3d(x, w, null, { groups: 2, padding: 1 }), [r(1, 4, 3, 3, 3), r(2, 2, 3, 3, 3)]);
  gradcheck('convTranspose3d', (x, w, b) => F.convTranspose3d(x, w, b, { stride: 2 }), [r(1, 2, 2, 2, 2), r(2, 3, 2, 2, 2), r(3)]);
});

test('finite differences: normalisation, resampling, pooling', () => {
  gradcheck('instanceNorm', (x, w, b) => F.instanceNorm(x, { weight: w, bias: b }), [r(2, 2, 3, 3, 2), r(2), r(2)]);
  gradcheck('trilinear', (x) => F.interpolate(x, { size: [3, 5, 4], mode: 'trilinear' }), [r(1, 1, 2, 3, 3)]);
  gradcheck('avgPool3d', (x) => F.avgPool3d(x, 2), [r(1, 1, 4, 4, 2)]);
  gradcheck('gridSample', (x, theta) => F.gridSample(x, F.affineGrid(theta, [1, 1, 3, 3, 3])),
    [r(1, 1, 4, 4, 4), tensor([0.9, 0.1, 0, 0.05, -0.1, 1.1, 0.2, 0, 0, 0.1, 0.8, -0.1], [1, 3, 4], { dtype: 'float64' })]);
});

test('finite differences: losses', () => {
  const target = tensor([0, 2, 1, -1, 2, 0], [1, 2, 3], { dtype: 'int64' });
  const classWeight = tensor([0.5, 1, 2], [3], { dtype: 'float64' });
  gradcheck('crossEntropy', (x) => F.crossEntropy(x, target, { weight: classWeight, ignoreIndex: -1 }), [r(1, 3, 2, 3)]);
  const t = tensor([1, 0, 1, 1, 0], [5], { dtype: 'float64' });
  gradcheck('bceWithLogits', (x) => F.binaryCrossEntropyWithLogits(x, t), [r(5)]);
  gradcheck('cosineSimilarity', (a, b) => F.cosineSimilarity(a, b, 1), [r(2, 3, 2), r(2, 3, 2)]);
});

test('conv3d of a float32 batch of one (oneDNN, not libtorch 1.13\'s slow native path): values and gradients as float64 gives them', () => {
  // 16 channels at 8^3 (and at 32^3, the sliding window's case): N*C*D*H <= 20480, where libtorch would pick its native path
  for (const [shape, kernel, padding] of [[[1, 16, 8, 8, 8], [8, 16, 3, 1, 3], [1, 0, 1]], [[1, 16, 32, 32, 32], [4, 16, 1, 3, 3], [0, 1, 1]]] as const) {
    tidy(() => {
      const x64 = r(...shape), w64 = r(...kernel), b64 = r(kernel[0]);
      const y64 = (() => { const [x, w, b] = [x64, w64, b64].map((t) => t.clone().requiresGrad_()); return { x, w, b, y: F.conv3d(x, w, b, { padding: [...padding] }) }; })();
      const y32 = (() => { const [x, w, b] = [x64, w64, b64].map((t) => t.to('float32').requiresGrad_()); return { x, w, b, y: F.conv3d(x, w, b, { padding: [...padding] }) }; })();
      const g = randn(y64.y.shape, { dtype: 'float64', generator: gen });
      y64.y.mul(g).sum().backward();
      y32.y.mul(g.to('float32')).sum().backward();
      const name = `conv3d ${shape.join('x')} kernel ${kernel.slice(2).join('x')}`;
      assertClose(y32.y.toArray(), y64.y.toArray(), { rtol: 1e-4, atol: 1e-4 }, `${name}: values`);
      for (const k of ['x', 'w', 'b'] as const) assertClose(y32[k].grad!.toArray(), y64[k].grad!.toArray(), { rtol: 1e-4, atol: 1e-3 }, `${name}: gradient of ${k}`);
    });
  }
});
