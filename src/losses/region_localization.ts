/**
 * RL (region localisation) loss: the channel mean of a decoder output is a one-channel logit map,
 * scored with binary cross-entropy against the binarised target (label > 0) at its resolution; voxels
 * labelled -1 are left out of the mean. 'code' variant: the one map of decoder stage 1; 'paper':
 * the mean over the maps of every decoder stage with a head.
 */
import { F, type Tensor } from '../tensor/index.js';
import { targetAt } from './deep_supervision.js';
import type { NetworkOutput } from '../nn/index.js';
import { IGNORE_LABEL } from './types.js';
import { type BatchReduction, LOCAL_BATCH, labelledVoxelsDenominator } from './batch_reduction.js';

/** BCE of mean-over-channels(features) [B, C, ...] against target int64 [B, 1, ...] > 0. */
export function regionMapLoss(features: Tensor, target: Tensor, batch: BatchReduction = LOCAL_BATCH): Tensor {
  const logit = features.mean(1, true);
  if (target.shape.join() !== logit.shape.join())
    throw new Error(`RL loss: target [${target.shape}] does not fit the region map [${logit.shape}]`);
  const valid = target.ne(IGNORE_LABEL).to(logit.dtype);
  const foreground = target.gt(0).to(logit.dtype);
  const sum = F.binaryCrossEntropyWithLogits(logit, foreground, { weight: valid, reduction: 'sum' });
  return sum.div(labelledVoxelsDenominator(batch, valid.sum()));
}

export function regionLocalization(output: NetworkOutput, targets: readonly Tensor[], variant: 'code' | 'paper', batch: BatchReduction = LOCAL_BATCH): Tensor {
  if (variant === 'code') {
    const r = output.regionFeatures;
    if (!r) throw new Error("RL loss ('code' variant): the network output has no regionFeatures (the output of decoder stage 1)");
    return regionMapLoss(r, targetAt(targets, r.shape.slice(2)), batch);
  }
  const maps = output.decoderFeatures;
  if (!maps || maps.length === 0)
    throw new Error("RL loss ('paper' variant): the network output needs decoderFeatures, the outputs of decoder stages 0..S-2 " +
      "(full resolution first); this network only provides regionFeatures, use rlVariant 'code'");
  let sum: Tensor | null = null;
  for (const d of maps) {
    const l = regionMapLoss(d, targetAt(targets, d.shape.slice(2)), batch);
    sum = sum === null ? l : sum.add(l);
  }
  return sum!.div(maps.length);
}
