import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool, runPool } from '../src/util/worker_pool.js';
import type { EchoResult, EchoTask } from './helpers/echo_worker.js';

const ECHO = new URL('./helpers/echo_worker.js', import.meta.url);

test('WorkerPool: results come in submission order although later tasks finish first', async () => {
  const pool = new WorkerPool<EchoTask, EchoResult>({ workerUrl: ECHO, workers: 3, workerData: { tag: 'x' } });
  try {
    const settled: number[] = [];
    const delays = [120, 10, 60, 0, 30, 5];
    const all = delays.map((delayMs, value) => pool.submit({ value, delayMs }).then((r) => { settled.push(r.value); return r; }));
    const results = await Promise.all(all);
    assert.deepEqual(settled, [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(results.map((r) => r.value), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(results.map((r) => r.data[0]), [0, 1, 2, 3, 4, 5]); // typed arrays travel back
    assert.ok(results.every((r) => r.tag === 'x'), 'every worker gets workerData');
    assert.ok(new Set(results.map((r) => r.threadId)).size > 1, 'tasks were spread over the workers');
  } finally {
    await pool.close();
  }
});

test('WorkerPool: workers persist across submissions; a failing task rejects alone, naming the task', async () => {
  const pool = new WorkerPool<EchoTask, EchoResult>({ workerUrl: ECHO, workers: 2, perWorker: 2, describe: (t) => `echo ${t.value}` });
  try {
    const first = await Promise.all([0, 1, 2, 3].map((value) => pool.submit({ value, delayMs: 5 })));
    const threads = new Set(first.map((r) => r.threadId));
    await assert.rejects(pool.submit({ value: 7, fail: true }), /^Error: echo 7: task 7 failed on purpose$/);
    const later = await Promise.all([4, 5, 6, 7].map((value) => pool.submit({ value, delayMs: 5 })));
    assert.deepEqual(later.map((r) => r.value), [4, 5, 6, 7]);
    for (const r of later) assert.ok(threads.has(r.threadId), 'the same workers answer later batches');
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.submit({ value: 9 }), /closed/);
});

test('WorkerPool: a worker that dies fails every pending and later task', async () => {
  const pool = new WorkerPool<EchoTask, EchoResult>({ workerUrl: ECHO, workers: 1, describe: (t) => `echo ${t.value}` });
  try {
    const done = pool.submit({ value: 0 });
    const dying = pool.submit({ value: 1, exit: true });
    const after = pool.submit({ value: 2 });
    after.catch(() => {});
    assert.equal((await done).value, 0);
    await assert.rejects(dying, /echo 1: worker exited with code 3/);
    await assert.rejects(after, /echo 1: worker exited with code 3/);
    await assert.rejects(pool.submit({ value: 3 }), /worker exited/);
  } finally {
    await pool.close();
  }
});

test('runPool: onResult in task order, inline or in workers; the first failure rejects naming its task', async () => {
  const tasks: EchoTask[] = [40, 0, 20, 0, 10].map((delayMs, value) => ({ value, delayMs }));
  for (const workers of [0, 2]) {
    const seen: number[] = [];
    await runPool<EchoTask, EchoResult>({
      workerUrl: ECHO, workers, tasks, inline: async (t) => ({ value: t.value, threadId: 0, tag: null, data: Float32Array.of(t.value) }),
      onResult: (r, t, i) => { assert.equal(r.value, t.value); seen.push(i); },
    });
    assert.deepEqual(seen, [0, 1, 2, 3, 4], `workers: ${workers}`);
  }
  await assert.rejects(
    runPool<EchoTask, EchoResult>({ workerUrl: ECHO, workers: 2, tasks: [{ value: 0 }, { value: 1, fail: true }, { value: 2 }], describe: (t) => `case ${t.value}`, onResult: () => {} }),
    /case 1: task 1 failed on purpose/,
  );
});
