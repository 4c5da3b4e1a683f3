/**
 * The loss as the trainer runs it: which terms it logs, how TR's masked input is made (when the loss
 * has TR), and the loss of one batch.
 */
import type { Tensor } from '../tensor/index.js';
import type { NetworkOutput } from '../nn/index.js';
import type { LossConfig } from './config.js';
import { maskInput } from './mask_input.js';
import { pspsegLoss } from './pspseg_loss.js';
import type { LossResult, LossTerms } from './types.js';
import { type BatchReduction, LOCAL_BATCH } from './batch_reduction.js';

export interface TrainingLoss {
  /** The terms logged per epoch, in log order. */
  readonly termNames: readonly (keyof LossTerms)[];
  /**
   * When set, the trainer runs `network.encode(maskInput(image, target))` without gradients and hands
   * the features to `compute` (TR); otherwise `maskedFeatures` is null.
   */
  maskInput?: (image: Tensor, target: Tensor) => Tensor;
  compute(output: NetworkOutput, maskedFeatures: Tensor[] | null, targets: Tensor[]): LossResult;
}

/**
 * The training loss of a configuration. `foregroundFill`: per input channel, the value TR's masked
 * input takes outside the label (the plan's normalised 0.5th foreground percentile); a channel
 * without one is an error for the psp loss. `batch`: the ranks sharing each batch in data-parallel training.
 */
export function trainingLoss(config: LossConfig, foregroundFill: readonly (number | null)[], batch: BatchReduction = LOCAL_BATCH): TrainingLoss {
  if (config.name === 'dice_ce') return { termNames: ['seg'], compute: (out, _masked, targets) => pspsegLoss(out, null, targets, config, batch) };
  const fill = foregroundFill.map((v, c) => {
    if (v === null || !Number.isFinite(v))
      throw new Error(`--loss psp: the plan has no foreground percentile for channel ${c} (foregroundPercentile005Normalized), which TR's masked input needs; plan the dataset again or use --loss dice_ce`);
    return v;
  });
  return {
    termNames: ['seg', 'tr', 'rl'],
    maskInput: (image, target) => maskInput(image, target, fill),
    compute: (out, masked, targets) => pspsegLoss(out, masked, targets, config, batch),
  };
}
