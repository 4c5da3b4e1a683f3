/** The safetensors format (src/tensor/safetensors.ts): files from PyTorch load, ours match them byte for byte, bad files are named. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSafetensors, saveSafetensors, tidy } from '../src/tensor/index.js';
import { assertClose, fixturesDir, readFixture, tempDir } from './helpers.js';

test('a safetensors file written from PyTorch loads with the right dtypes, shapes and values', (t) => {
  const expected = readFixture<Record<string, { dtype: string; shape: number[]; values: number[] }>>('pytorch_written.json');
  tidy(() => {
    const { tensors, metadata } = loadSafetensors(join(fixturesDir, 'pytorch_written.safetensors'));
    assert.equal(metadata.format, 'pt');
    assert.deepEqual([...tensors.keys()].sort(), Object.keys(expected).sort());
    const ours: Record<string, string> = { F32: 'float32', F64: 'float64', I64: 'int64', F16: 'float16', BF16: 'bfloat16', BOOL: 'bool', U8: 'uint8' };
    for (const [k, e] of Object.entries(expected)) {
      const t = tensors.get(k)!;
      assert.equal(t.dtype, ours[e.dtype], k);
      assert.deepEqual(t.shape, e.shape, k);
      assertClose(t.toArray(), e.values, { rtol: 1e-6 }, k);
    }
    // and our writer reproduces the same bytes for the same tensors (sorted keys, same layout)
    const dir = tempDir(t, 'pspseg-nn-');
    saveSafetensors(join(dir, 'again.safetensors'), tensors, metadata);
    const again = loadSafetensors(join(dir, 'again.safetensors'));
    for (const [k, t] of tensors) assert.deepEqual(again.tensors.get(k)!.toBytes(), t.toBytes(), k);
  });
});

test('corrupt safetensors files give errors naming the file', (t) => {
  const dir = tempDir(t, 'pspseg-nn-');
  const bad = join(dir, 'bad.safetensors');
  writeFileSync(bad, Buffer.from([1, 2, 3]));
  assert.throws(() => loadSafetensors(bad), (e: Error) => e.message.startsWith(bad) && /too short/.test(e.message));
  const good = readFileSync(join(fixturesDir, 'pytorch_written.safetensors'));
  writeFileSync(bad, good.subarray(0, good.byteLength - 10));
  assert.throws(() => loadSafetensors(bad), /do not fit/);
  assert.throws(() => loadSafetensors(join(dir, 'missing.safetensors')), /cannot read/);
});
