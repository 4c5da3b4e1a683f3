/**
 * Data-parallel training's two exchanges, on a c10d process group: the parameters broadcast from rank 0
 * (at the start and after loading a checkpoint) and the gradients averaged over the ranks after every
 * backward, so that every rank takes the same optimiser step. Gradients travel in buckets of about
 * 25 MiB (DDP's bucket_cap_mb): one allreduce per bucket instead of one per parameter.
 */
import { type ProcessGroup, type Tensor, cat, noGrad, tidy, zeros } from '../tensor/index.js';

export const DEFAULT_BUCKET_BYTES = 25 * 2 ** 20;

/** Consecutive runs of parameters whose float32 sizes add up to at most `bucketBytes` (a larger one alone). */
export function bucketsOf(params: readonly Tensor[], bucketBytes = DEFAULT_BUCKET_BYTES): Tensor[][] {
  const buckets: Tensor[][] = [];
  let current: Tensor[] = [], bytes = 0;
  for (const p of params) {
    const b = 4 * p.numel;
    if (current.length && bytes + b > bucketBytes) {
      buckets.push(current);
      current = [];
      bytes = 0;
    }
    current.push(p);
    bytes += b;
  }
  if (current.length) buckets.push(current);
  return buckets;
}

/** What one exchange moved: the bytes each rank sent into the reduction, and the collectives it took. */
export interface ExchangeStats { bytes: number; collectives: number }

/** Every rank's parameters become root's, in place (values only; autograd is not involved). */
export function broadcastParameters(group: ProcessGroup, params: readonly Tensor[], root = 0, bucketBytes = DEFAULT_BUCKET_BYTES): ExchangeStats {
  return exchange(group, params, bucketBytes, (p) => p, (flat) => group.broadcast(flat, root));
}

/**
 * Every rank's gradients become the mean over the ranks, in place. A parameter without a gradient (a
 * masked block: the same on every rank) travels as zeros, so the buckets line up, and keeps no gradient.
 */
export function averageGradients(group: ProcessGroup, params: readonly Tensor[], bucketBytes = DEFAULT_BUCKET_BYTES): ExchangeStats {
  return exchange(group, params, bucketBytes, (p) => p.grad, (flat) => group.allreduce(flat, 'sum').div_(group.worldSize));
}

function exchange(group: ProcessGroup, params: readonly Tensor[], bucketBytes: number,
  target: (p: Tensor) => Tensor | null, collective: (flat: Tensor) => void): ExchangeStats {
  if (group.worldSize === 1) return { bytes: 0, collectives: 0 };
  let bytes = 0, collectives = 0;
  noGrad(() => {
    for (const bucket of bucketsOf(params, bucketBytes)) {
      tidy(() => {
        const flat = cat(bucket.map((p) => target(p)?.reshape([-1]) ?? zeros([p.numel], { dtype: p.dtype, device: p.device })));
        collective(flat);
        let offset = 0;
        for (const p of bucket) {
          const t = target(p);
          if (t) t.copy_(flat.narrow(0, offset, p.numel).view(p.shape));
          offset += p.numel;
        }
        bytes += 4 * offset;
        collectives += 1;
      });
    }
  });
  return { bytes, collectives };
}
