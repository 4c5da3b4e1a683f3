/** A worker for the pool tests: answers after a delay with its value and thread id, or fails, or dies. */
import { threadId, workerData } from 'node:worker_threads';
import { serveTasks } from '../../src/util/worker_pool.js';

export interface EchoTask { value: number; delayMs?: number; fail?: boolean; exit?: boolean }
export interface EchoResult { value: number; threadId: number; tag: unknown; data: Float32Array }

serveTasks<EchoTask, EchoResult>(async (t) => {
  if (t.delayMs) await new Promise((r) => setTimeout(r, t.delayMs));
  if (t.exit) process.exit(3);
  if (t.fail) throw new Error(`task ${t.value} failed on purpose`);
  return { value: t.value, threadId, tag: (workerData as { tag?: unknown } | undefined)?.tag, data: Float32Array.of(t.value) };
});
