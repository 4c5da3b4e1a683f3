/**
 * Mixed precision through libtorch's autocast: inside `autocast('bf16', 'cpu')` convolutions run in
 * bfloat16 (also a batch of one, which the addon otherwise sends to oneDNN directly) while the weights
 * and their gradients stay float32; outside, and after an error inside, float32 again; the results are
 * within bfloat16's precision of float32's. What `auto` resolves to, and fp16 refused on a CPU.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Generator, TorchError, autocast, randn, resolvePrecision, tidy } from '../src/tensor/index.js';
import { Conv3d, float32Output } from '../src/nn/index.js';
import { UsageError } from '../src/util/options.js';
import type { CpuInfo } from '../src/util/cpu_info.js';

const relativeError = (a: Float32Array, b: Float32Array): number => {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num += (a[i]! - b[i]!) ** 2; den += b[i]! ** 2; }
  return Math.sqrt(num / den);
};

for (const batch of [1, 2]) {
  test(`autocast bf16 on the CPU: conv3d at batch ${batch} runs in bfloat16, its gradients reach the float32 weights`, () => tidy(() => {
    const g = new Generator(0);
    const conv = new Conv3d(4, 8, 3, { padding: 1, generator: g });
    const x = randn([batch, 4, 12, 12, 12], { generator: g });
    const weight = conv.parameters()[0]!; // [8, 4, 3, 3, 3]
    const ref = conv.forward(x);
    ref.sum().backward();
    const refGrad = weight.grad!.clone();
    weight.grad!.zero_();
    const half = autocast('bf16', 'cpu', () => conv.forward(x));
    assert.equal(half.dtype, 'bfloat16');
    // libtorch's CPU autocast leaves softmax in bfloat16, which is why the losses take float32Output's maps
    assert.equal(autocast('bf16', 'cpu', () => F.softmax(half, 1).dtype), 'bfloat16');
    const out = float32Output({ logits: [half], encoderFeatures: [half, ref], regionFeatures: half });
    assert.deepEqual([out.logits[0]!.dtype, out.encoderFeatures[0]!.dtype, out.regionFeatures!.dtype], ['float32', 'float32', 'float32']);
    assert.equal(out.encoderFeatures[1], ref, 'a float32 map is passed as it is');
    assert.equal(conv.forward(x).dtype, 'float32', 'autocast is off again after the scope');
    const err = relativeError(half.float().toTypedArray<'float32'>(), ref.toTypedArray<'float32'>());
    assert.ok(err > 0 && err < 1e-2, `forward relative error ${err} (bfloat16 keeps 8 bits of mantissa)`);
    half.float().sum().backward();
    assert.equal(weight.grad!.dtype, 'float32');
    const gradErr = relativeError(weight.grad!.toTypedArray<'float32'>(), refGrad.toTypedArray<'float32'>());
    assert.ok(gradErr < 2e-2, `weight gradient relative error ${gradErr}`);
  }));
}

test('autocast: nested scopes restore the outer state; an error inside leaves autocast off', () => tidy(() => {
  const g = new Generator(1);
  const conv = new Conv3d(1, 2, 3, { padding: 1, generator: g });
  const x = randn([2, 1, 6, 6, 6], { generator: g });
  autocast('bf16', 'cpu', () => {
    autocast('bf16', 'cpu', () => assert.equal(conv.forward(x).dtype, 'bfloat16'));
    assert.equal(conv.forward(x).dtype, 'bfloat16', 'still on after the inner scope');
    assert.equal(autocast('fp32', 'cpu', () => conv.forward(x)).dtype, 'bfloat16', 'fp32 changes nothing');
  });
  assert.throws(() => autocast('bf16', 'cpu', () => { throw new Error('inside'); }), /inside/);
  assert.equal(conv.forward(x).dtype, 'float32');
}));

test('float16 autocast on a CPU is a catchable error; resolvePrecision refuses it and resolves auto', () => {
  assert.throws(() => autocast('fp16', 'cpu', () => 0), (e: unknown) => e instanceof TorchError && /bfloat16 only/.test(e.message));
  assert.throws(() => resolvePrecision('fp16', 'cpu'), (e: unknown) => e instanceof UsageError && /needs CUDA/.test(e.message));
  const amd: CpuInfo = { model: 'x', cores: 2, vectorExtensions: ['avx512f', 'avx512_bf16'] };
  const avx2: CpuInfo = { model: 'x', cores: 2, vectorExtensions: ['avx2'] };
  assert.equal(resolvePrecision('auto', 'cuda', avx2), 'fp16');
  assert.equal(resolvePrecision('auto', 'cuda:1', avx2), 'fp16');
  assert.equal(resolvePrecision('auto', 'cpu', avx2), 'fp32');
  assert.equal(resolvePrecision('auto', 'cpu', amd), 'bf16', 'training on a CPU with native bfloat16 (AUTO_BF16_ON_CPU)');
  assert.equal(resolvePrecision('auto', 'cpu', amd, 'predict'), 'fp32', 'prediction on a CPU stays fp32');
  assert.equal(resolvePrecision('auto', 'cpu', avx2, 'predict'), 'fp32');
  assert.equal(resolvePrecision('auto', 'cuda', amd, 'predict'), 'fp16');
  assert.equal(resolvePrecision('bf16', 'cpu', avx2), 'bf16');
  assert.equal(resolvePrecision('fp16', 'cuda', avx2), 'fp16');
});
