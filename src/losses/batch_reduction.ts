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
  /**
   * A count over the whole batch (of labelled voxels), without gradient: the sum over the ranks. A rank
   * divides its own sum by `total.clamp(1) / ranks`, so that the ranks' averaged gradients are the global mean's.
   */
  countOverRanks(t: Tensor): Tensor;
}

/** The denominator of a mean over the batch's labelled voxels, as one rank divides its own sum by it. */
export function labelledVoxelsDenominator(batch: BatchReduction, localCount: Tensor): Tensor {
  const total = batch.countOverRanks(localCount).clamp(1);
  return batch.ranks === 1 ? total : total.div(batch.ranks);
}

/** One process: the batch is all here. */
export const LOCAL_BATCH: BatchReduction = { ranks: 1, sum: (t) => t, countOverRanks: (t) => t };

/** The batch split over the ranks of `group` (one allreduce per statistic, in the same order on every rank). */
export function batchAcrossRanks(group: ProcessGroup): BatchReduction {
  const n = group.worldSize;
  if (n === 1) return LOCAL_BATCH;
  const total = (t: Tensor) => noGrad(() => group.allreduce(t.detach().clone(), 'sum'));
  return {
    ranks: n,
    // value: exactly the total (t - t is 0); gradient: n into the local part
    sum: (t) => t.sub(t.detach()).mul(n).add(total(t)),
    countOverRanks: total,
  };
}
