/**
 * Statistics that a loss sums over the whole batch, when the batch is split over data-parallel ranks.
 * nnU-Net's batch Dice sums tp/fp/fn over the batch, and the cross-entropy and RL divide by the batch's
 * count of labelled voxels: with ranks, those sums must be the global batch's, or N ranks of batch b would
 * not train like one process of batch N*b. Per-sample terms (Dice per sample, TR's mean over equal-sized
 * samples) need nothing: averaging the ranks' gradients already gives the mean over the global batch.
 */
import { type ProcessGroup, type Tensor, noGrad } from '../tensor/index.js';

export interface BatchReduction {
  /** Ranks sharing the batch (1: one process). */
  readonly ranks: number;
  /**
   * The sum of `t` over the ranks. Its gradient reaches the local `t` times `ranks`: every rank computes the
   * same loss from the sum, and the ranks' gradients are averaged afterwards (nnU-Net's AllGatherGrad sums
   * the gradient over the ranks in its backward for the same reason).
   */
  sum(t: Tensor): Tensor;
  /** The mean of `t` over the ranks, without gradient (counts: a rank divides its own sum by the mean count). */
  meanCount(t: Tensor): Tensor;
}

/** One process: the batch is all here. */
export const LOCAL_BATCH: BatchReduction = { ranks: 1, sum: (t) => t, meanCount: (t) => t };

/** The batch split over the ranks of `group` (one allreduce per statistic, in the same order on every rank). */
export function batchAcrossRanks(group: ProcessGroup): BatchReduction {
  const n = group.worldSize;
  if (n === 1) return LOCAL_BATCH;
  const total = (t: Tensor) => noGrad(() => group.allreduce(t.detach().clone(), 'sum'));
  return {
    ranks: n,
    // value: the total; gradient: n into the local part (the detached rest is a constant)
    sum: (t) => t.mul(n).add(total(t).sub(t.detach().mul(n))),
    meanCount: (t) => total(t).div(n),
  };
}
