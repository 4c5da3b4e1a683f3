/** `pspseg train DATASET`: train a network on a dataset (checkpoints, logs, resumable). The options are src/train/options.ts' table. */
import { TRAIN_OPTIONS, checkTrainOptions } from '../../train/options.js';
import { defineCommand } from '../command.js';

export const train = defineCommand({
  name: 'train',
  summary: 'train a network on a dataset (plans and preprocesses it first when needed; checkpoints, logs, resumable)',
  args: [{ name: 'DATASET' }],
  description: `DATASET: a dataset folder (MSD or nnU-Net v2, or its dataset.json), checked, planned and preprocessed
first as 'pspseg plan' and 'pspseg preprocess' would (each step skipped when done); or the name of a
dataset already preprocessed under $PSPSEG_WORK. Output: $PSPSEG_WORK/<dataset>/models/<name>/fold_<k>/
(config.json, architecture.json, training_log.jsonl, progress.svg, checkpoint_final and checkpoint_best,
checkpoint_latest while unfinished; PSP-Seg also pruning.svg and pruning_summary.json), locked while the
run lasts. Folds come from <dataset work>/splits.json (nnU-Net's 5-fold split, made on first use; edit it
to choose your own). PSP-Seg networks are pruned progressively while they train (docs/method.md); each
event is printed and logged. Triples (--patch) are per image axis x, y, z, as 'pspseg plan' prints them.
Settings, their defaults and how a run resumes: docs/training.md.`,
  options: TRAIN_OPTIONS,
  check: (_o, _args, given) => checkTrainOptions(given),
  run: async (_o, [dataset], given) => (await import('./train_run.js')).runTrain(dataset!, given),
});
