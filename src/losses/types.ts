import type { Tensor } from '../tensor/index.js';

/** The loss terms as plain numbers, for logs. tr / rl are null when their inputs were not given. */
export interface LossTerms {
  total: number;
  /** Deep-supervised Dice + cross-entropy (= dice + ce). */
  seg: number;
  dice: number;
  ce: number;
  tr: number | null;
  rl: number | null;
}

export interface LossResult {
  /** The total as a scalar tensor, for backward(). */
  total: Tensor;
  terms: LossTerms;
}

/** Label value excluded from every loss (padding; docs/method.md, "Departures from the paper and the authors' code"). */
export const IGNORE_LABEL = -1;
