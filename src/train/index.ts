/** Training: the trainer, its configuration, checkpoints, splits and the network/loss registry. */
export * from './interfaces.js';
export * from './config.js';
export * from './checkpoint.js';
export * from './splits.js';
export * from './pseudo_dice.js';
export * from './training_log.js';
export * from './trainer.js';
export * from './run.js';
export { buildNetwork, buildLoss } from './registry.js';
export { preparedWorkDir, openPreprocessed, loadCases, type PreprocessedDataset } from './preprocessed.js';
