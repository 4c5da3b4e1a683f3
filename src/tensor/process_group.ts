/**
 * A group of processes that train together, on torch's c10d (native/src/distributed.cpp): rank 0 serves
 * a TCPStore where the ranks meet, and a Gloo process group carries the collectives, as
 * `torch.distributed.init_process_group('gloo')` does. Every collective blocks until all ranks took part;
 * a rank that died or hangs makes the others fail with a TorchError of code 'DIST_ERROR' within the
 * group's timeout, never a silent hang.
 */
import type { NativeGroupOptions, ProcessGroupHandle } from '../native/binding.js';
import { native } from './native.js';
import { Tensor } from './tensor.js';
import { TorchError } from './errors.js';

export type ProcessGroupOptions = NativeGroupOptions;

/** The c10d backends this build of the addon has ('gloo'), empty where it was built without them. */
export function distributedBackends(): string[] {
  const b = native.distBackends();
  return b ? [b] : [];
}

export class ProcessGroup {
  private handle: ProcessGroupHandle | null;

  private constructor(handle: ProcessGroupHandle, readonly rank: number, readonly worldSize: number, readonly timeoutMs: number) {
    this.handle = handle;
  }

  /** Joins the group; returns once every rank has (rank 0 waits up to the timeout for the others). */
  static join(o: ProcessGroupOptions): ProcessGroup {
    return new ProcessGroup(native.distInit(o), o.rank, o.worldSize, o.timeoutMs);
  }

  private get h(): ProcessGroupHandle {
    if (this.handle === null) throw new TorchError('the process group was destroyed', 'DISPOSED');
    return this.handle;
  }

  /** In place: every rank's `t` becomes the sum (or max, min) over the ranks. */
  allreduce(t: Tensor, op: 'sum' | 'max' | 'min' = 'sum'): Tensor {
    native.distAllreduce(this.h, t.handle, op);
    return t;
  }

  /** In place: every rank's `t` becomes root's. */
  broadcast(t: Tensor, root = 0): Tensor {
    native.distBroadcast(this.h, t.handle, root);
    return t;
  }

  /** Every rank's `t` (the same shape on each rank), in rank order; new tensors, without autograd. */
  allgather(t: Tensor): Tensor[] {
    return native.distAllgather(this.h, t.handle).map((x) => new Tensor(x));
  }

  barrier(): void {
    native.distBarrier(this.h);
  }

  /** Closes the connections; the group is unusable afterwards. */
  destroy(): void {
    if (this.handle !== null) native.distDestroy(this.handle);
    this.handle = null;
  }
}
