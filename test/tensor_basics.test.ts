/** Tensor basics: dtypes, creation, data round trips, scopes, grad modes, errors, config. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  F, Generator, TorchError, arange, engineConfig, full, inferenceMode, isGradEnabled, keep, liveTensorCount, noGrad, ones, rand,
  randn, scopeDepth, tensor, tidy, where, zeros, type DType, type Tensor,
} from '../src/tensor/index.js';
import { native, type Handle } from '../src/tensor/native.js';

test('every dtype round-trips its data', () => {
  tidy(() => {
    const cases: [DType, ArrayLike<number | bigint>, ArrayLike<number | bigint>][] = [
      ['float32', new Float32Array([1.5, -2, 3.25]), [1.5, -2, 3.25]],
      ['float64', new Float64Array([1e-300, -2, Math.PI]), [1e-300, -2, Math.PI]],
      ['int64', new BigInt64Array([1n, -(2n ** 40n), 3n]), [1n, -(2n ** 40n), 3n]],
      ['int32', new Int32Array([1, -2, 2 ** 30]), [1, -2, 2 ** 30]],
      ['int16', new Int16Array([1, -2, 300]), [1, -2, 300]],
      ['int8', new Int8Array([1, -2, 127]), [1, -2, 127]],
      ['uint8', new Uint8Array([0, 200, 255]), [0, 200, 255]],
    ];
    for (const [dtype, data, expected] of cases) {
      const t = tensor(data as never, [3]);
      assert.equal(t.dtype, dtype);
      assert.deepEqual(Array.from(t.toTypedArray() as ArrayLike<number | bigint>), Array.from(expected), dtype);
    }
    const b = tensor([true, false, true]);
    assert.equal(b.dtype, 'bool');
    assert.deepEqual(b.toArray(), [1, 0, 1]);
    // half types: exactly representable values survive the float32 -> half -> float32 trip
    for (const d of ['float16', 'bfloat16'] as DType[]) {
      const h = tensor([0.5, -1.25, 3] as number[], [3], { dtype: d });
      assert.equal(h.dtype, d);
      assert.deepEqual(h.toArray(), [0.5, -1.25, 3]);
    }
  });
});

test('creation functions give the right shapes, values and dtypes', () => {
  tidy(() => {
    assert.deepEqual(zeros([2, 3]).toArray(), [0, 0, 0, 0, 0, 0]);
    assert.deepEqual(ones([2], { dtype: 'int32' }).toArray(), [1, 1]);
    assert.deepEqual(full([2], 7.5, { dtype: 'float64' }).toArray(), [7.5, 7.5]);
    const a = arange(5);
    assert.equal(a.dtype, 'int64');
    assert.deepEqual(a.toArray(), [0, 1, 2, 3, 4]);
    assert.deepEqual(arange(0, 1, 0.25).toArray(), [0, 0.25, 0.5, 0.75]);
    assert.deepEqual(tensor([1, 2, 3, 4, 5, 6], [2, 3]).shape, [2, 3]);
    assert.equal(tensor([1, 2], [2]).sum().item(), 3);
  });
});

test('seeded generators are reproducible and independent; draws have the right statistics', () => {
  tidy(() => {
    const a = randn([1000], { generator: new Generator(42) }).toArray();
    const b = randn([1000], { generator: new Generator(42) }).toArray();
    const c = randn([1000], { generator: new Generator(43) }).toArray();
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    const big = randn([200000], { generator: new Generator(1), dtype: 'float64' });
    assert.ok(Math.abs(big.mean().item()) < 0.01);
    assert.ok(Math.abs(big.std().item() - 1) < 0.01);
    const u = rand([200000], { generator: new Generator(2) });
    assert.ok(u.min().item() >= 0 && u.max().item() < 1);
    assert.ok(Math.abs(u.mean().item() - 0.5) < 0.01);
  });
});

test('tidy frees everything but the result; nested scopes hand results outward; keep exempts', () => {
  const before = liveTensorCount();
  let kept: Tensor | undefined;
  const result = tidy(() => {
    const x = ones([3]);
    const inner = tidy(() => {
      const tmp = x.mul(2);
      kept = keep(tmp.add(1));
      return { y: tmp.add(x), list: [x.sub(1)] };
    });
    assert.equal(scopeDepth(), 1);
    return inner.y.add(inner.list[0]);
  });
  assert.deepEqual(result.toArray(), [3, 3, 3]);
  assert.equal(liveTensorCount(), before + 2); // result and kept
  assert.deepEqual(kept!.toArray(), [3, 3, 3]);
  result.dispose();
  kept!.dispose();
  assert.equal(liveTensorCount(), before);
  assert.equal(scopeDepth(), 0);
});

test('tidy frees its tensors when fn throws', () => {
  const before = liveTensorCount();
  assert.throws(() => tidy(() => { ones([4]).mul(3); throw new Error('boom'); }), /boom/);
  assert.equal(liveTensorCount(), before);
  assert.equal(scopeDepth(), 0);
});

test('noGrad and inferenceMode switch autograd off and restore it', () => {
  tidy(() => {
    const x = ones([2]).requiresGrad_();
    assert.equal(x.mul(2).requiresGrad, true);
    assert.equal(noGrad(() => x.mul(2).requiresGrad), false);
    assert.equal(isGradEnabled(), true);
    assert.throws(() => noGrad(() => { throw new Error('inside'); }));
    assert.equal(isGradEnabled(), true, 'restored after a throw');
    assert.equal(inferenceMode(() => x.mul(2).requiresGrad), false);
    assert.equal(native.isInferenceMode(), false);
  });
});

test('backward accumulates; detach cuts the graph; grad can be cleared', () => {
  tidy(() => {
    const x = tensor([1, 2, 3], [3], { dtype: 'float64' }).requiresGrad_();
    x.mul(x).sum().backward();
    x.mul(x).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [4, 8, 12]);
    x.grad = null;
    assert.equal(x.grad, null);
    const d = x.detach();
    assert.equal(d.requiresGrad, false);
    assert.equal(x.isLeaf, true);
    assert.equal(x.mul(2).isLeaf, false);
  });
});

test('bad input raises catchable TorchErrors and the engine keeps working', () => {
  tidy(() => {
    const err = (fn: () => unknown, code: string, re: RegExp) => {
      try { fn(); } catch (e) {
        assert.ok(e instanceof TorchError, `expected TorchError, got ${e}`);
        assert.equal((e as TorchError).code, code);
        assert.match((e as Error).message, re);
        assert.doesNotMatch((e as Error).message, /Exception raised from|frame #/, 'no C++ backtrace noise');
        return;
      }
      assert.fail('expected a throw');
    };
    err(() => F.conv3d(zeros([1, 2, 4, 4, 4]), zeros([3, 1, 3, 3, 3])), 'TORCH_ERROR', /channels/);
    err(() => F.conv3d(zeros([1, 1, 4, 4]), zeros([3, 1, 3, 3, 3])), 'TORCH_ERROR', /Kernel size can't be greater/);
    err(() => zeros([2, 3]).matmul(zeros([2, 3])), 'TORCH_ERROR', /shape|size|mat/);
    err(() => zeros([2, 3]).add(zeros([4])), 'TORCH_ERROR', /size/);
    err(() => zeros([6]).view([4, 2]), 'TORCH_ERROR', /shape/);
    err(() => F.crossEntropy(zeros([2, 3]), zeros([2])), 'TORCH_ERROR', /Long|Float|dtype|scalar type/i);
    err(() => zeros([2], { dtype: 'int64' }).requiresGrad_(), 'TORCH_ERROR', /floating|complex/);
    err(() => native.zeros([2], 'complex128' as DType), 'INVALID_ARGUMENT', /dtype/);
    err(() => native.add('not a tensor' as unknown as Handle, 1), 'INVALID_ARGUMENT', /tensor handle/);
    err(() => F.interpolate(zeros([1, 1, 2, 2, 2]), { mode: 'nearest' }), 'INVALID_ARGUMENT', /size or scaleFactor/);
    const gone = zeros([2]);
    gone.dispose();
    err(() => gone.add(1), 'DISPOSED', /dispose/);
    const raw = ones([1]);
    const staleHandle = raw.handle;
    raw.dispose();
    err(() => native.add(staleHandle, 1), 'DISPOSED', /dispose/);
    for (const kind of ['bad_alloc', 'oom'] as const) err(() => native.raiseForTest(kind), 'OUT_OF_MEMORY', /alloc/);
    err(() => native.raiseForTest('c10'), 'TORCH_ERROR', /deliberate/);
    err(() => native.raiseForTest('std'), 'TORCH_ERROR', /deliberate/);
    assert.throws(() => tensor([1, 2, 3], [2, 2]), /do not fill shape/);
  });
});

test('a shape mismatch in conv3d leaves the process working', () => {
  tidy(() => {
    for (let i = 0; i < 20; i++) assert.throws(() => F.conv3d(ones([1, 3, 4, 4, 4]), ones([2, 1, 3, 3, 3])));
    const y = F.conv3d(ones([1, 1, 4, 4, 4]), ones([2, 1, 3, 3, 3]), null, { padding: 1 });
    assert.equal(y.max().item(), 27);
  });
});

test('engine configuration is reported', () => {
  const c = engineConfig();
  assert.match(c.torchVersion, /^\d+\.\d+\.\d+$/);
  assert.ok(c.threads >= 1);
  assert.equal(typeof c.mkldnn, 'boolean');
  assert.equal(c.mallocTuned, !process.env.PSPSEG_NO_MALLOPT);
  if (process.env.PSPSEG_THREADS) assert.equal(c.threads, Number(process.env.PSPSEG_THREADS));
});

test('CUDA tensors work when libtorch has CUDA', { skip: !engineConfig().cuda && 'this libtorch has no CUDA' }, () => {
  tidy(() => {
    const x = randn([1, 2, 8, 8, 8], { generator: new Generator(0) });
    const w = randn([3, 2, 3, 3, 3], { generator: new Generator(1) });
    const cpu = F.conv3d(x, w, null, { padding: 1 });
    const gpu = F.conv3d(x.toDevice('cuda'), w.toDevice('cuda'), null, { padding: 1 });
    assert.equal(gpu.device, 'cuda:0');
    const diff = gpu.toDevice('cpu').sub(cpu).abs().max().item();
    assert.ok(diff < 1e-3, `cpu/cuda differ by ${diff}`);
    const g = randn([4], { generator: new Generator(5), device: 'cuda' });
    assert.deepEqual(g.toArray(), randn([4], { generator: new Generator(5) }).toArray(), 'same seed, same numbers on every device');
  });
});

test('memory is reported to V8 only for tensors outside scopes', () => {
  const outside = zeros([256]);
  assert.equal(native.externalBytes(outside.handle), 1024);
  const escaped = tidy(() => {
    const inside = zeros([256]);
    assert.equal(native.externalBytes(inside.handle), 0, 'freed by its scope: not reported');
    const kept = keep(zeros([8]));
    assert.equal(native.externalBytes(kept.handle), 32, 'kept: reported');
    kept.dispose();
    return inside.add(1);
  });
  assert.equal(native.externalBytes(escaped.handle), 1024, 'escaped the outermost scope: reported');
  outside.dispose();
  escaped.dispose();
});

test('gradient assignment is checked like PyTorch\'s', () => {
  tidy(() => {
    const p = tensor([1, 2, 3]).requiresGrad_();
    assert.throws(() => { p.grad = tensor([10]); }, (e: Error) => e instanceof TorchError && /shape \[1\] but the tensor has \[3\]/.test(e.message));
    assert.throws(() => { p.grad = tensor([1, 2, 3], [3], { dtype: 'float64' }); }, /dtype float64/);
    assert.throws(() => { p.grad = p; }, /its own gradient/);
    p.grad = tensor([1, 1, 1]);
    assert.deepEqual(p.grad!.toArray(), [1, 1, 1]);
  });
});

test('setData_ swaps the data but keeps the tensor (what Module.to relies on)', () => {
  tidy(() => {
    const p = tensor([1, 2, 3]).requiresGrad_();
    p.setData_(tensor([4, 5, 6, 7], [2, 2]));
    assert.deepEqual(p.shape, [2, 2]);
    assert.deepEqual(p.toArray(), [4, 5, 6, 7]);
    assert.equal(p.requiresGrad, true);
  });
});

test('scalar corner cases follow PyTorch: var correction, where promotion, bool data, shared buffers', () => {
  tidy(() => {
    assert.ok(Math.abs(tensor([1, 2, 3, 4, 5]).var(0, 2).item() - 10 / 3) < 1e-6, 'var with correction 2');
    assert.ok(Math.abs(tensor([1, 2, 3, 4, 5]).std(0, 0).item() - Math.sqrt(2)) < 1e-6, 'std with correction 0');
    const w = where(tensor([true, false]), 0.5, tensor(new Int32Array([5, 6])));
    assert.equal(w.dtype, 'float32');
    assert.deepEqual(w.toArray(), [0.5, 6]);
    assert.deepEqual(tensor([2, 0, -1], [3], { dtype: 'bool' }).toArray(), [1, 0, 1]);
    const shared = new Float32Array(new SharedArrayBuffer(12));
    shared.set([1, 2, 3]);
    assert.deepEqual(tensor(shared).toArray(), [1, 2, 3]);
  });
});

test('half-precision creation and a Promise-returning tidy leak nothing', async () => {
  const before = liveTensorCount();
  tensor([1, 2], [2], { dtype: 'float16' }).dispose();
  assert.throws(() => tidy(() => { ones([3]); return Promise.resolve(1) as unknown as number; }), /Promise/);
  assert.equal(liveTensorCount(), before);
});

test('PSPSEG_ADDON pointing nowhere is a clear error naming the path', async () => {
  const { execFileSync } = await import('node:child_process');
  const mod = new URL('../src/tensor/index.js', import.meta.url).href;
  let message = '';
  try {
    execFileSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(mod)})`],
      { env: { ...process.env, PSPSEG_ADDON: '/nonexistent/addon.node' }, stdio: 'pipe' });
  } catch (e) { message = String((e as { stderr: Buffer }).stderr); }
  assert.match(message, /PSPSEG_ADDON=\/nonexistent\/addon\.node: no such file/);
});
