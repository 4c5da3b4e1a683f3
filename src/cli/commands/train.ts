/** `pspseg train DATASET`: train a network on a preprocessed dataset (checkpoints, logs, resumable). */
import { defineCommand, type OptionValues } from '../command.js';

const options = {
  arch: { type: 'string', placeholder: 'A', help: "psp (PSP-Seg), plain (nnU-Net's U-Net) or small (the demo's small U-Net)", defaultText: 'psp' },
  variant: { type: 'string', placeholder: 'V', help: 'PSP-Seg size S, B or L', defaultText: 'S' },
  fold: { type: 'string', default: '0', placeholder: 'N|all', help: 'cross-validation fold; all trains and validates on every case' },
  epochs: { type: 'integer', min: 1, help: 'epochs', defaultText: '1000' },
  iterations: { type: 'integer', min: 1, help: 'training iterations per epoch', defaultText: '250' },
  'val-iterations': { type: 'integer', min: 1, help: 'validation batches per epoch', defaultText: '50' },
  batch: { type: 'integer', min: 1, help: 'batch size', defaultText: "the plan's" },
  patch: { type: 'string', placeholder: 'D,H,W', help: 'patch size (one number for a cube)', defaultText: "the plan's" },
  optimizer: { type: 'string', placeholder: 'O', help: 'sgd (momentum 0.99, Nesterov, weight decay 3e-5) or adamw', defaultText: 'sgd' },
  lr: { type: 'number', min: 0, exclusiveMin: true, placeholder: 'X', help: 'initial learning rate', defaultText: '1e-2 for sgd, 1e-4 for adamw' },
  loss: { type: 'string', placeholder: 'L', help: 'psp (Dice+CE + 0.1 TR + 0.1 RL) or dice_ce', defaultText: 'psp for --arch psp, else dice_ce' },
  'no-deep-supervision': { type: 'boolean', help: 'train without the deep-supervision heads' },
  seed: { type: 'integer', min: 0, help: 'random seed', defaultText: '0' },
  name: { type: 'string', placeholder: 'NAME', help: 'model folder name', defaultText: 'psp_S, plain or small' },
  continue: { type: 'boolean', help: 'resume the run in the fold folder from its newest complete checkpoint' },
  force: { type: 'boolean', help: 'start over although the fold folder holds a run' },
  device: { type: 'string', placeholder: 'D', help: 'cpu or cuda', defaultText: 'cpu' },
  workers: { type: 'integer', min: 0, help: 'data loader worker threads', defaultText: 'cores - 1, at most 4' },
  quiet: { type: 'boolean', help: 'no progress bars' },
} as const;
export type TrainOptions = OptionValues<typeof options>;

export const train = defineCommand({
  name: 'train',
  summary: 'train a network on a preprocessed dataset (checkpoints, logs, resumable)',
  args: [{ name: 'DATASET' }],
  description: `DATASET: a dataset folder (or its dataset.json), or the name of a dataset already preprocessed under
$PSPSEG_WORK. Run 'pspseg plan' and 'pspseg preprocess' first. Output:
$PSPSEG_WORK/<dataset>/models/<name>/fold_<k>/ (config.json, architecture.json, training_log.jsonl,
progress.svg, checkpoint_{latest,best,final}). Folds come from <dataset work>/splits.json (nnU-Net's
5-fold split, created on first use; edit it to choose your own).`,
  options,
  run: async (o, [dataset]) => {
    const { trainRequest, runTrain } = await import('./train_run.js');
    return runTrain(dataset!, trainRequest(o));
  },
});
