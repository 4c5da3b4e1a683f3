/**
 * What the losses read from a network. Structurally the same as the models' NetworkOutput (losses may
 * not import models), plus the optional per-stage decoder outputs the paper's RL variant needs.
 */
import type { Tensor } from '../tensor/index.js';

export interface SegmentationOutput {
  /** [full resolution, 1/2, 1/4, ...]; length 1 without deep supervision. */
  logits: Tensor[];
  /** enc0, the skips enc1..enc{S-2} and the bottleneck enc{S-1}: TR compares them with the masked pass. */
  encoderFeatures: Tensor[];
  /** Output of decoder stage 1 (1/2 resolution): the RL map of the authors' code. */
  regionFeatures: Tensor | null;
  /**
   * Outputs of decoder stages 0..S-2 aligned with `logits` (full resolution first): the RL maps of the
   * paper's variant. A network that only returns `regionFeatures` supports the 'code' variant alone.
   */
  decoderFeatures?: Tensor[];
}

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
  loss: Tensor;
  terms: LossTerms;
}

/** Label value excluded from every loss (padding; method.md section 3). */
export const IGNORE_LABEL = -1;
