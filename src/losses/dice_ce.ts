/**
 * nnU-Net v2's Dice + cross-entropy for one output (DC_and_CE_loss with MemoryEfficientSoftDiceLoss):
 * soft Dice on softmax probabilities without the background class, per sample and class (or over the
 * whole batch with batchDice), `(2 I + smooth) / max(G + P + smooth, 1e-8)`, loss `-mean(dice)`; voxels
 * labelled -1 are left out of P (they can never be in I or G) and out of the cross-entropy, which is
 * the mean over the other voxels, and 0 when there are none.
 */
import { F, type Tensor, arange } from '../tensor/index.js';
import { IGNORE_LABEL } from './types.js';
import { type BatchReduction, LOCAL_BATCH, labelledVoxelsDenominator } from './batch_reduction.js';

export interface DiceCEOptions { batchDice: boolean; smooth: number }

function checkShapes(logits: Tensor, target: Tensor): void {
  const l = logits.shape, t = target.shape;
  if (t.length !== l.length || t[0] !== l[0] || t[1] !== 1 || t.slice(2).join() !== l.slice(2).join())
    throw new Error(`dice/CE: target [${t}] does not fit logits [${l}]: expected [${[l[0], 1, ...l.slice(2)]}]`);
  if (target.dtype !== 'int64') throw new Error(`dice/CE: target must be int64 class indices, got ${target.dtype}`);
  if (l[1]! < 2) throw new Error(`dice/CE: need at least 2 classes (background and one more), got ${l[1]}`);
}

/**
 * logits [B, C, ...], target int64 [B, 1, ...] (values -1..C-1): the Dice loss and the cross-entropy.
 * `batch`: where the batch is split over ranks, batch Dice's sums and the count of labelled voxels are the global batch's.
 */
export function diceCrossEntropy(logits: Tensor, target: Tensor, o: DiceCEOptions, batch: BatchReduction = LOCAL_BATCH): { dice: Tensor; ce: Tensor } {
  checkShapes(logits, target);
  const classes = logits.shape[1]!, rank = logits.rank;
  const spatialAxes = Array.from({ length: rank - 2 }, (_, i) => i + 2);
  const axes = o.batchDice ? [0, ...spatialAxes] : spatialAxes;
  // Foreground classes only; one-hot as a broadcast comparison (bool, no [.., C] int64 one-hot and no
  // permute); an ignored voxel (-1) matches no class, so I and G need no mask.
  const probs = logits.softmax(1).narrow(1, 1, classes - 1);
  const fgClasses = arange(1, classes, 1, { device: logits.device }).view([1, classes - 1, ...spatialAxes.map(() => 1)]);
  const onehot = target.eq(fgClasses);
  const valid = target.ne(IGNORE_LABEL);
  const overBatch = (t: Tensor) => (o.batchDice ? batch.sum(t) : t);
  const intersect = overBatch(probs.mul(onehot).sum(axes));
  const sumPred = overBatch(probs.mul(valid).sum(axes));
  const sumGt = overBatch(onehot.sum(axes, false, probs.dtype));
  const dc = intersect.mul(2).add(o.smooth).div(sumGt.add(sumPred).add(o.smooth).clamp(1e-8));
  const dice = dc.mean().neg();
  const count = labelledVoxelsDenominator(batch, valid.sum(undefined, false, logits.dtype));
  const ce = F.crossEntropy(logits, target.squeeze(1), { ignoreIndex: IGNORE_LABEL, reduction: 'sum' }).div(count);
  return { dice, ce };
}
