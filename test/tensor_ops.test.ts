/**
 * Every op against PyTorch: forward values and input gradients from test/fixtures/ops.json
 * (made by scripts/make_fixtures.py), all in float64 so tolerances can be tight.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, type Tensor, cat, liveTensorCount, stack, tidy, where } from '../src/tensor/index.js';
import { type Encoded, assertClose, decode, readFixture } from './helpers.js';

type Op = (...xs: Tensor[]) => Tensor;
const ops: Record<string, Op> = {
  add: (a, b) => a.add(b),
  add_alpha: (a, b) => a.add(b, 2.5),
  add_scalar: (a) => a.add(1.5),
  sub: (a, b) => a.sub(b),
  rsub: (a) => a.rsub(2),
  mul: (a, b) => a.mul(b),
  div: (a, b) => a.div(b),
  pow_scalar: (a) => a.pow(3),
  pow_tensor: (a, b) => a.pow(b),
  exp: (a) => a.exp(),
  log: (a) => a.log(),
  sqrt: (a) => a.sqrt(),
  abs: (a) => a.abs(),
  clamp: (a) => a.clamp(-0.5, 0.7),
  clamp_min: (a) => a.clamp(0.1),
  where: (c, a, b) => where(c.gt(0), a, b),
  maximum: (a, b) => a.maximum(b),
  eq: (a) => a.eq(1),
  lt: (a, b) => a.lt(b),
  ge_scalar: (a) => a.ge(0),
  sum_all: (a) => a.sum(),
  sum_dims_keep: (a) => a.sum([0, 2], true),
  mean_dim: (a) => a.mean(1),
  max_all: (a) => a.max(),
  amax_dim: (a) => a.max(1, true),
  min_dim: (a) => a.min(0),
  argmax_dim: (a) => a.argmax(1),
  argmax_keep: (a) => a.argmax(0, true),
  var_dim: (a) => a.var(1),
  norm: (a) => a.norm(),
  matmul: (a, b) => a.matmul(b),
  matmul_batched: (a, b) => a.matmul(b),
  reshape: (a) => a.reshape([4, 6]),
  permute: (a) => a.permute([2, 0, 1]),
  flip: (a) => a.flip([0, 2]),
  cat: (a, b) => cat([a, b], 1),
  stack: (a, b) => stack([a, b], 0),
  slice: (a) => a.slice(1, 1, 4, 2),
  slice_negative: (a) => a.slice(0, -2),
  index_select: (a, i) => a.indexSelect(1, i),
  pad_constant: (a) => F.pad(a, [1, 2, 0, 1], 'constant', 0.5),
  pad_reflect3d: (a) => F.pad(a, [1, 1, 2, 0, 0, 1], 'reflect'),
  pad_replicate3d: (a) => F.pad(a, [1, 1, 2, 0, 0, 1], 'replicate'),
  conv3d: (x, w, b) => F.conv3d(x, w, b, { padding: 1 }),
  conv3d_stride2: (x, w, b) => F.conv3d(x, w, b, { stride: 2, padding: 1 }),
  conv3d_aniso: (x, w) => F.conv3d(x, w, null, { padding: [0, 1, 1] }),
  conv3d_aniso_313: (x, w) => F.conv3d(x, w, null, { padding: [1, 0, 1] }),
  conv3d_dilation_groups: (x, w, b) => F.conv3d(x, w, b, { padding: 2, dilation: 2, groups: 2 }),
  conv_transpose3d: (x, w, b) => F.convTranspose3d(x, w, b, { stride: 2 }),
  conv_transpose3d_pad: (x, w) => F.convTranspose3d(x, w, null, { stride: 2, padding: 1, outputPadding: 1 }),
  instance_norm_affine: (x, w, b) => F.instanceNorm(x, { weight: w, bias: b, eps: 1e-5 }),
  batch_norm_train: (x, w, b) => F.batchNorm(x, { weight: w, bias: b, training: true }),
  batch_norm_eval: (x, w, b, m, v) => F.batchNorm(x, { weight: w, bias: b, runningMean: m, runningVar: v, training: false }),
  leaky_relu: (a) => a.leakyRelu(0.01),
  relu: (a) => a.relu(),
  sigmoid: (a) => a.sigmoid(),
  softmax: (a) => a.softmax(1),
  log_softmax: (a) => a.logSoftmax(1),
  interp_nearest_scale: (a) => F.interpolate(a, { scaleFactor: 2, mode: 'nearest' }),
  interp_nearest_size: (a) => F.interpolate(a, { size: [3, 5, 4], mode: 'nearest' }),
  interp_trilinear_size: (a) => F.interpolate(a, { size: [5, 4, 6], mode: 'trilinear' }),
  interp_trilinear_scale: (a) => F.interpolate(a, { scaleFactor: 0.5, mode: 'trilinear' }),
  interp_trilinear_align: (a) => F.interpolate(a, { size: [4, 4, 5], mode: 'trilinear', alignCorners: true }),
  avg_pool3d: (a) => F.avgPool3d(a, 2),
  max_pool3d: (a) => F.maxPool3d(a, 3, 2, 1),
  affine_grid: (t) => F.affineGrid(t, [1, 1, 3, 4, 2]),
  grid_sample_bilinear: (x, t) => F.gridSample(x, F.affineGrid(t, [1, 2, 4, 5, 3]), { mode: 'bilinear', paddingMode: 'zeros' }),
  grid_sample_nearest_border: (x, t) =>
    F.gridSample(x, F.affineGrid(t, [1, 1, 3, 3, 3], true), { mode: 'nearest', paddingMode: 'border', alignCorners: true }),
  cross_entropy: (x, t) => F.crossEntropy(x, t),
  cross_entropy_ignore_weight: (x, t, w) => F.crossEntropy(x, t, { weight: w, ignoreIndex: -1 }),
  cross_entropy_sum: (x, t) => F.crossEntropy(x, t, { ignoreIndex: -1, reduction: 'sum' }),
  bce_logits: (x, t) => F.binaryCrossEntropyWithLogits(x, t),
  bce_logits_weight_none: (x, t, w) => F.binaryCrossEntropyWithLogits(x, t, { weight: w, reduction: 'none' }),
  cosine_similarity: (a, b) => F.cosineSimilarity(a, b, 1),
  one_hot: (t) => F.oneHot(t, 4),
};

interface Case { name: string; inputs: Encoded[]; output: Encoded; w?: Encoded; grads?: (Encoded | null)[] }
const fixture = readFixture<{ cases: Case[] }>('ops.json');

test('every fixture case has an op and every op a fixture case', () => {
  assert.deepEqual(fixture.cases.map((c) => c.name).sort(), Object.keys(ops).sort());
});

for (const c of fixture.cases) {
  test(`op ${c.name} matches PyTorch (forward and gradient)`, () => {
    const before = liveTensorCount();
    tidy(() => {
      const inputs = c.inputs.map((e, i) => {
        const t = decode(e);
        return c.grads?.[i] ? t.requiresGrad_() : t;
      });
      const out = ops[c.name](...inputs);
      assert.deepEqual(out.shape, c.output.shape, 'output shape');
      const expectedDtype = c.output.dtype;
      assert.equal(out.dtype, expectedDtype, 'output dtype');
      assertClose(out.toArray(), c.output.data, { rtol: 1e-9, atol: 1e-10 }, `${c.name} forward`);
      if (c.w && c.grads) {
        out.mul(decode(c.w)).sum().backward();
        c.grads.forEach((g, i) => {
          if (!g) return;
          const actual = inputs[i].grad;
          assert.ok(actual, `input ${i} has a gradient`);
          assertClose(actual.toArray(), g.data, { rtol: 1e-8, atol: 1e-10 }, `${c.name} grad of input ${i}`);
        });
      }
    });
    assert.equal(liveTensorCount(), before, 'no tensor leaked');
  });
}
