/**
 * A small worker_threads pool: tasks go to N workers, one at a time each, results come back in
 * completion order through `onResult`. The first failure stops dispatching, ends the workers and
 * rejects with the failing task's error. With `workers: 0` the tasks run in this thread through
 * `inline` (debugging, tiny jobs). The worker module calls `serveTasks(handler)`.
 */
import { availableParallelism } from 'node:os';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';

type Msg<T> = { id: number; task: T };
type Reply<R> = { id: number; ok: true; result: R } | { id: number; ok: false; error: string; stack?: string };

/** One worker per CPU core. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/** ArrayBuffers of typed arrays found in a result (searched 3 levels deep), moved instead of copied. */
export function transferablesOf(value: unknown, depth = 3, out = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer && value.byteLength === value.buffer.byteLength) out.add(value.buffer);
  } else if (depth > 0 && value && typeof value === 'object') {
    for (const v of Array.isArray(value) ? value : Object.values(value)) transferablesOf(v, depth - 1, out);
  }
  return [...out];
}

/** Worker side: answer every task message with the handler's result. */
export function serveTasks<T, R>(handler: (task: T) => Promise<R>): void {
  if (isMainThread || !parentPort) throw new Error('serveTasks must run inside a worker thread');
  const port = parentPort;
  port.on('message', (msg: Msg<T>) => {
    handler(msg.task).then(
      (result) => port.postMessage({ id: msg.id, ok: true, result } satisfies Reply<R>, transferablesOf(result)),
      // The message is for the user; the worker's stack only for PSPSEG_DEBUG (cli/main.ts prints it then).
      (err: unknown) => port.postMessage({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined } satisfies Reply<R>),
    );
  });
}

export interface PoolOptions<T, R> {
  workerUrl: URL;
  workers: number;
  tasks: readonly T[];
  onResult: (result: R, task: T, index: number) => void;
  /** Runs a task in this thread; required when workers is 0. */
  inline?: (task: T) => Promise<R>;
  /** Names a task in error messages. */
  describe?: (task: T) => string;
}

export async function runPool<T, R>(o: PoolOptions<T, R>): Promise<void> {
  const describe = o.describe ?? ((_t: T) => 'task');
  if (o.workers <= 0) {
    if (!o.inline) throw new Error('runPool: workers is 0 but no inline handler was given');
    for (let i = 0; i < o.tasks.length; i++) {
      const t = o.tasks[i]!;
      let r: R;
      try { r = await o.inline(t); } catch (err) { throw new Error(`${describe(t)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err }); }
      o.onResult(r, t, i);
    }
    return;
  }
  const n = Math.min(o.workers, o.tasks.length);
  if (n === 0) return;
  await new Promise<void>((resolve, reject) => {
    const workers: Worker[] = [];
    let next = 0, finished = 0, failed = false;
    const fail = (err: Error): void => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.terminate();
      reject(err);
    };
    const dispatch = (w: Worker): void => {
      if (failed) return;
      if (next >= o.tasks.length) { void w.terminate(); return; }
      const id = next++;
      (w as Worker & { busy?: number }).busy = id;
      w.postMessage({ id, task: o.tasks[id] } satisfies Msg<T>);
    };
    for (let k = 0; k < n; k++) {
      const w = new Worker(o.workerUrl);
      workers.push(w);
      w.on('message', (reply: Reply<R>) => {
        const task = o.tasks[reply.id]!;
        if (!reply.ok) {
          const err = new Error(`${describe(task)}: ${reply.error}`);
          if (reply.stack) err.stack = `${err.message}\n(in the worker) ${reply.stack}`;
          fail(err);
          return;
        }
        (w as Worker & { busy?: number }).busy = undefined;
        try { o.onResult(reply.result, task, reply.id); } catch (err) { fail(err instanceof Error ? err : new Error(String(err))); return; }
        if (++finished === o.tasks.length) { for (const x of workers) void x.terminate(); resolve(); return; }
        dispatch(w);
      });
      w.on('error', (err) => fail(err));
      w.on('exit', (code) => {
        const busy = (w as Worker & { busy?: number }).busy;
        if (!failed && busy !== undefined) fail(new Error(`${describe(o.tasks[busy]!)}: worker exited with code ${code}`));
      });
      dispatch(w);
    }
  });
}
