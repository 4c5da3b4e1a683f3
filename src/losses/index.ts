/** Losses: nnU-Net's deep-supervised Dice + CE and PSP-Seg's functional-decoupling terms (TR, RL). */
export { IGNORE_LABEL, type LossResult, type LossTerms } from './types.js';
export { DEFAULT_LOSS_CONFIG, LOSS_NAMES, RL_VARIANTS, LossConfigSchema, parseLossConfig, type LossConfig, type LossConfigInput, type LossName } from './config.js';
export { trainingLoss, type TrainingLoss } from './training_loss.js';
export { deepSupervisionWeights, targetAt, targetsForLogits } from './deep_supervision.js';
export { diceCrossEntropy, type DiceCEOptions } from './dice_ce.js';
export { targetRepresentation } from './target_representation.js';
export { regionLocalization, regionMapLoss } from './region_localization.js';
export { maskInput } from './mask_input.js';
export { foregroundPercentile, type ForegroundCase, type PercentileSearch } from './foreground_percentile.js';
export { pspsegLoss } from './pspseg_loss.js';
export { LOCAL_BATCH, batchAcrossRanks, type BatchReduction } from './batch_reduction.js';
