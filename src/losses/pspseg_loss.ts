/**
 * The training loss: deep-supervised Dice + cross-entropy, plus, for 'psp', lambdaTR * TR +
 * lambdaRL * RL (docs/method.md, "Losses"). For 'dice_ce', TR and RL are still computed for the logs
 * (without gradients) when their inputs are given, as the authors' code logs them.
 */
import { type Tensor, noGrad, stack, tidy, zeros } from '../tensor/index.js';
import { DEFAULT_LOSS_CONFIG, type LossConfig } from './config.js';
import { deepSupervisionWeights } from './deep_supervision.js';
import { diceCrossEntropy } from './dice_ce.js';
import { regionLocalization } from './region_localization.js';
import { targetRepresentation } from './target_representation.js';
import type { NetworkOutput } from '../nn/index.js';
import type { LossResult } from './types.js';
import { type BatchReduction, LOCAL_BATCH } from './batch_reduction.js';

/**
 * output: the network's forward output on the image. maskedFeatures: `network.encode(maskInput(...))`
 * computed under noGrad (null for 'dice_ce' when TR is not wanted in the logs). targets: int64 [B, 1, ...]
 * per output, full resolution first (the loader's deep-supervision targets), -1 = ignore.
 * batch: the ranks sharing the batch, in data-parallel training (batch_reduction.ts).
 * Returns the total as a tensor (for backward) and every term as a number (one device transfer).
 */
export function pspsegLoss(
  output: NetworkOutput, maskedFeatures: readonly Tensor[] | null, targets: readonly Tensor[], config: LossConfig = DEFAULT_LOSS_CONFIG,
  batch: BatchReduction = LOCAL_BATCH,
): LossResult {
  const n = output.logits.length;
  if (n === 0) throw new Error('pspsegLoss: the network returned no logits');
  if (targets.length < n) throw new Error(`pspsegLoss: ${n} outputs but ${targets.length} targets (one per deep-supervision level)`);
  const weights = config.deepSupervisionWeights ?? deepSupervisionWeights(n);
  if (weights.length !== n) throw new Error(`pspsegLoss: ${weights.length} deep-supervision weights for ${n} outputs`);
  const withFd = config.name === 'psp';
  if (withFd && !maskedFeatures) throw new Error("pspsegLoss: loss 'psp' needs the encoder features of the masked input");

  return tidy(() => {
    let dice: Tensor | null = null, ce: Tensor | null = null;
    output.logits.forEach((logits, i) => {
      const w = weights[i]!;
      if (w === 0) return; // nnU-Net skips zero-weight outputs: no work, no gradient
      const level = diceCrossEntropy(logits, targets[i]!, config, batch);
      dice = dice === null ? level.dice.mul(w) : dice.add(level.dice.mul(w));
      ce = ce === null ? level.ce.mul(w) : ce.add(level.ce.mul(w));
    });
    const seg = dice!.add(ce!);
    // Without FD the terms are only logged, when the network output carries what they need.
    const hasRegionMaps = config.rlVariant === 'code' ? output.regionFeatures !== null : (output.decoderFeatures?.length ?? 0) > 0;
    const tr = maskedFeatures ? maybeNoGrad(!withFd, () => targetRepresentation(output.encoderFeatures, maskedFeatures)) : null;
    const rl = withFd || hasRegionMaps ? maybeNoGrad(!withFd, () => regionLocalization(output, targets, config.rlVariant, batch)) : null;
    const loss = withFd ? seg.add(tr!.mul(config.lambdaTR)).add(rl!.mul(config.lambdaRL)) : seg;
    const values = noGrad(() => {
      const none = zeros([], { dtype: seg.dtype, device: seg.device });
      return stack([loss, seg, dice!, ce!, tr ?? none, rl ?? none]).toArray();
    });
    const [total, segV, diceV, ceV, trV, rlV] = values as [number, number, number, number, number, number];
    return { total: loss, terms: { total, seg: segV, dice: diceV, ce: ceV, tr: tr ? trV : null, rl: rl ? rlV : null } };
  });
}

function maybeNoGrad<T>(off: boolean, fn: () => T): T {
  return off ? noGrad(fn) : fn();
}
