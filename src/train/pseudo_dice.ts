/**
 * nnU-Net's online validation metric ("pseudo Dice"): hard argmax predictions on validation
 * patches, true/false positives and false negatives summed per class over the whole validation
 * pass, then Dice per class (NaN when a class never occurs in prediction nor reference), the
 * mean over classes ignoring NaN, and an exponential moving average across epochs for checkpoint
 * selection.
 */
import { type Tensor, stack, tidy } from '../tensor/index.js';

export class PseudoDice {
  readonly tp: number[];
  readonly fp: number[];
  readonly fn: number[];

  /** `classes`: foreground label values counted (background is never scored). */
  constructor(readonly classes: readonly number[]) {
    this.tp = classes.map(() => 0);
    this.fp = classes.map(() => 0);
    this.fn = classes.map(() => 0);
  }

  /** Adds one batch: `logits` [B, K, ...], `target` [B, 1, ...] (-1 = ignored voxel). */
  add(logits: Tensor, target: Tensor): void {
    const counts = tidy(() => {
      const pred = logits.argmax(1);
      const t = target.squeeze(1);
      const valid = t.ge(0);
      const rows = this.classes.map((c) => {
        const p = pred.eq(c).logicalAnd(valid), r = t.eq(c);
        return stack([p.logicalAnd(r).sum(), p.logicalAnd(r.logicalNot()).sum(), r.logicalAnd(p.logicalNot()).sum()]);
      });
      // One transfer per batch instead of one per count (each read syncs a GPU).
      return stack(rows).to('float64').toTypedArray<'float64'>();
    });
    this.classes.forEach((_, i) => {
      this.tp[i]! += counts[3 * i]!;
      this.fp[i]! += counts[3 * i + 1]!;
      this.fn[i]! += counts[3 * i + 2]!;
    });
  }

  /** Dice per class (NaN when tp + fp + fn = 0). */
  perClass(): number[] {
    return this.classes.map((_, i) => (2 * this.tp[i]!) / (2 * this.tp[i]! + this.fp[i]! + this.fn[i]!));
  }

  /** Mean over classes, ignoring NaN (numpy's nanmean; NaN when every class is NaN). */
  mean(): number {
    return nanMean(this.perClass());
  }
}

export function nanMean(values: readonly number[]): number {
  const ok = values.filter((v) => !Number.isNaN(v));
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
}

/** nnU-Net's EMA: the first value as is, then old * momentum + new * (1 - momentum). A NaN epoch keeps the old value. */
export function updateEma(previous: number | null, value: number, momentum = 0.9): number {
  if (previous === null || Number.isNaN(previous)) return value;
  if (Number.isNaN(value)) return previous;
  return previous * momentum + value * (1 - momentum);
}
