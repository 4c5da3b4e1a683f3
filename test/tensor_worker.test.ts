/** The engine also runs inside worker threads (each with its own error class and scopes). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const tensorModule = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'tensor', 'index.js');

test('two worker threads compute, raise TorchErrors and free tensors independently', async () => {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.mod).then((T) => {
      const sum = T.tidy(() => T.F.conv3d(T.ones([1, 1, 4, 4, 4]), T.ones([1, 1, 3, 3, 3]), null, { padding: 1 }).max().item());
      let code = null;
      try { T.F.conv3d(T.ones([1, 2, 4, 4, 4]), T.ones([1, 1, 3, 3, 3])); } catch (e) { code = e instanceof T.TorchError ? e.code : 'wrong class'; }
      parentPort.postMessage({ sum, code });
    });`;
  const run = () => new Promise<{ sum: number; code: string }>((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { mod: tensorModule } });
    w.once('message', (m) => { resolve(m); void w.terminate(); });
    w.once('error', reject);
  });
  const results = await Promise.all([run(), run()]);
  for (const r of results) assert.deepEqual(r, { sum: 27, code: 'TORCH_ERROR' });
  // and the main thread's engine still works afterwards
  const T = await import('../src/tensor/index.js');
  assert.throws(() => T.F.conv3d(T.ones([1, 2, 4, 4, 4]), T.ones([1, 1, 3, 3, 3])), T.TorchError);
});

test('terminating workers in the middle of native calls never aborts the process', async () => {
  // Each worker loops over ops, half of which throw; terminate() lands wherever it lands.
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.mod).then((T) => {
      parentPort.postMessage('ready');
      for (;;) {
        T.tidy(() => T.F.conv3d(T.ones([1, 1, 6, 6, 6]), T.ones([2, 1, 3, 3, 3])).sum().item());
        try { T.F.conv3d(T.ones([1, 2, 4, 4, 4]), T.ones([1, 1, 3, 3, 3])); } catch {}
      }
    });`;
  for (let i = 0; i < 12; i++) {
    const w = new Worker(code, { eval: true, workerData: { mod: tensorModule } });
    await new Promise((resolve) => w.once('message', resolve));
    await new Promise((resolve) => setTimeout(resolve, 5 + (i % 4) * 7));
    await w.terminate();
  }
  const T = await import('../src/tensor/index.js');
  assert.equal(T.tidy(() => T.ones([3]).sum().item()), 3, 'the main thread still computes');
});
