/**
 * The worker_threads pool: persistent workers that answer tasks, results delivered in submission
 * order. A worker module calls `serveTasks(handler)`; the main thread submits tasks to a WorkerPool
 * (the batch loader, inference) or runs a fixed list through `runPool` (fingerprint, preprocessing).
 *
 * - Each worker holds up to `perWorker` tasks at once in its own message queue, so it starts the next
 *   one without waiting for the main thread (which may be busy in a training step); further tasks
 *   wait here and go to the first worker with room, the least loaded first.
 * - Results are released in submission order: one that finishes early waits for those before it.
 * - A task that throws rejects its own promise with "<describe(task)>: <message>"; a worker that dies
 *   fails the pool: every pending and later task rejects with that error.
 * - Idle workers do not keep the process alive; `close()` ends them.
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

export interface WorkerPoolOptions<T> {
  workerUrl: URL;
  /** Number of workers (at least 1). */
  workers: number;
  /** Passed to every worker as `workerData` (structured clone; SharedArrayBuffers are shared). */
  workerData?: unknown;
  /** Tasks a worker holds at once (default 1). */
  perWorker?: number;
  /** Names a task in error messages. */
  describe?: (task: T) => string;
}

interface Pending<T, R> {
  task: T;
  settled?: { ok: true; result: R } | { ok: false; error: Error };
  resolve: (r: R) => void;
  reject: (e: Error) => void;
}

interface Slot { worker: Worker; busy: Set<number> }

export class WorkerPool<T, R> {
  private readonly slots: Slot[] = [];
  private readonly perWorker: number;
  private readonly describe: (task: T) => string;
  private readonly pending = new Map<number, Pending<T, R>>();
  private readonly queue: number[] = [];
  private nextId = 0;
  private nextToRelease = 0;
  private failure: Error | null = null;
  private closing = false;

  constructor(o: WorkerPoolOptions<T>) {
    if (!(o.workers >= 1)) throw new RangeError(`WorkerPool: workers must be at least 1, got ${o.workers}`);
    this.perWorker = Math.max(1, o.perWorker ?? 1);
    this.describe = o.describe ?? (() => 'task');
    for (let k = 0; k < o.workers; k++) this.slots.push(this.start(o.workerUrl, o.workerData));
  }

  get size(): number { return this.slots.length; }

  /** Runs `task` in a worker; resolves after every earlier task's promise has settled. */
  submit(task: T): Promise<R> {
    if (this.closing) return Promise.reject(new Error('WorkerPool: closed'));
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const p = new Promise<R>((resolve, reject) => this.pending.set(id, { task, resolve, reject }));
    this.queue.push(id);
    this.dispatch();
    return p;
  }

  /** Ends the workers; tasks not yet delivered reject. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const err = new Error('WorkerPool: closed');
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.queue.length = 0;
    // ref() first: an idle worker is unref'd, and then nothing would keep the process alive until it exits.
    await Promise.all(this.slots.map((s) => { s.worker.ref(); return s.worker.terminate(); }));
  }

  private start(url: URL, workerData: unknown): Slot {
    const slot: Slot = { worker: new Worker(url, { workerData }), busy: new Set() };
    const w = slot.worker;
    w.on('message', (reply: Reply<R>) => {
      if (this.closing) return;
      slot.busy.delete(reply.id);
      if (slot.busy.size === 0) w.unref();
      const p = this.pending.get(reply.id);
      if (p) {
        if (reply.ok) p.settled = { ok: true, result: reply.result };
        else {
          const err = new Error(`${this.describe(p.task)}: ${reply.error}`);
          if (reply.stack) err.stack = `${err.message}\n(in the worker) ${reply.stack}`;
          p.settled = { ok: false, error: err };
        }
      }
      this.release();
      this.dispatch();
    });
    w.on('error', (err) => this.fail(err));
    w.on('exit', (code) => {
      // after an 'error' event the pool has failed already (with that error); the exit adds nothing
      if (this.closing || this.failure) return;
      const busy = [...slot.busy][0];
      const task = busy === undefined ? undefined : this.pending.get(busy)?.task;
      if (task !== undefined) this.fail(new Error(`${this.describe(task)}: worker exited with code ${code}`));
      else if (code !== 0) this.fail(new Error(`worker exited with code ${code}`));
    });
    w.unref();
    return slot;
  }

  private dispatch(): void {
    while (this.queue.length > 0 && !this.failure && !this.closing) {
      const slot = this.slots.reduce((a, b) => (b.busy.size < a.busy.size ? b : a));
      if (slot.busy.size >= this.perWorker) return;
      const id = this.queue.shift()!;
      if (slot.busy.size === 0) slot.worker.ref();
      slot.busy.add(id);
      slot.worker.postMessage({ id, task: this.pending.get(id)!.task } satisfies Msg<T>);
    }
  }

  /** Settles the promises whose turn has come, in submission order. */
  private release(): void {
    for (let p = this.pending.get(this.nextToRelease); p?.settled; p = this.pending.get(this.nextToRelease)) {
      this.pending.delete(this.nextToRelease++);
      if (p.settled.ok) p.resolve(p.settled.result); else p.reject(p.settled.error);
    }
  }

  private fail(err: Error): void {
    if (this.failure || this.closing) return;
    this.failure = err;
    this.release(); // results that arrived before the failure still count, in order
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.queue.length = 0;
  }
}

export interface PoolOptions<T, R> {
  workerUrl: URL;
  workers: number;
  tasks: readonly T[];
  /** Called in task order. */
  onResult: (result: R, task: T, index: number) => void;
  /** Runs a task in this thread; required when workers is 0. */
  inline?: (task: T) => Promise<R>;
  /** Names a task in error messages. */
  describe?: (task: T) => string;
}

/**
 * Runs a fixed list of tasks on at most `workers` workers (one task each at a time), then ends them.
 * The first failure ends the workers and rejects with that task's error. With `workers: 0` the tasks
 * run in this thread through `inline` (debugging, tiny jobs).
 */
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
  const pool = new WorkerPool<T, R>({ workerUrl: o.workerUrl, workers: n, describe });
  try {
    const results = o.tasks.map((t) => pool.submit(t));
    results.forEach((r) => r.catch(() => {})); // awaited in order below; later ones must not go unhandled
    for (let i = 0; i < results.length; i++) o.onResult(await results[i]!, o.tasks[i]!, i);
  } finally {
    await pool.close();
  }
}
