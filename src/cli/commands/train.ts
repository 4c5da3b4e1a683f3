/** `pspseg train DATASET`: train a network on a preprocessed dataset (checkpoints, logs, resumable). */
import { defineCommand, type OptionValues } from '../command.js';

const options = {
  arch: { type: 'string', placeholder: 'A', help: "psp (PSP-Seg), plain (nnU-Net's U-Net) or small (a small plain U-Net for quick tries)", defaultText: 'psp' },
  variant: { type: 'string', placeholder: 'V', help: 'PSP-Seg size S, B or L', defaultText: 'S' },
  fold: { type: 'string', default: '0', placeholder: 'N|all', help: 'cross-validation fold; all trains and validates on every case' },
  epochs: { type: 'integer', min: 1, help: 'epochs', defaultText: '1000' },
  iterations: { type: 'integer', min: 1, help: 'training iterations per epoch', defaultText: '250' },
  'val-iterations': { type: 'integer', min: 1, help: 'validation batches per epoch', defaultText: '50' },
  batch: { type: 'integer', min: 1, help: 'batch size', defaultText: "the plan's" },
  patch: { type: 'string', placeholder: 'D,H,W', help: 'patch size (one number for a cube)', defaultText: "the plan's" },
  optimizer: { type: 'string', placeholder: 'O', help: 'sgd (momentum 0.99, Nesterov, weight decay 3e-5) or adamw', defaultText: 'sgd' },
  lr: { type: 'number', min: 0, exclusiveMin: true, placeholder: 'X', help: "initial learning rate (nnU-Net's 1e-2; the PSP-Seg authors' pruning runs used 1e-3)", defaultText: '1e-2 for sgd, 1e-4 for adamw' },
  loss: { type: 'string', placeholder: 'L', help: 'psp (Dice+CE + lambda-tr TR + lambda-rl RL) or dice_ce', defaultText: 'psp for --arch psp, else dice_ce' },
  'lambda-tr': { type: 'number', min: 0, placeholder: 'X', help: 'weight of the TR (target representation) loss', defaultText: '0.1' },
  'lambda-rl': { type: 'number', min: 0, placeholder: 'X', help: 'weight of the RL (region localisation) loss', defaultText: '0.1' },
  'rl-variant': { type: 'string', placeholder: 'code|paper', help: "RL on decoder stage 1's map (the authors' code) or on every decoder stage (the paper)", defaultText: 'code' },
  'no-prune': { type: 'boolean', help: 'train PSP-Seg without progressive pruning (on by default for --arch psp)' },
  'prune-window': { type: 'integer', min: 1, placeholder: 'W', help: 'pruning: convergence window in epochs', defaultText: '10' },
  'prune-delta': { type: 'number', min: 0, placeholder: 'X', help: 'pruning: over-pruning margin', defaultText: "0.001 (the authors' code; the paper: 0.01)" },
  'prune-step': { type: 'integer', min: 1, placeholder: 'S', help: 'pruning: initial prune step (blocks masked per PRM per event)', defaultText: '1 for S and B, 2 for L' },
  'prune-calibration-batches': { type: 'integer', min: 1, placeholder: 'N', help: 'pruning: training batches of the block search', defaultText: '100' },
  'prune-stop-fraction': { type: 'number', min: 0, max: 1, placeholder: 'F', help: 'pruning: stops for good after this fraction of the epochs', defaultText: '0.4' },
  'prune-monitor': { type: 'string', placeholder: 'LOGS', help: 'pruning: the epoch logs the convergence and over-pruning checks watch, of loss,tr,rl', defaultText: 'loss,tr,rl (--loss dice_ce: loss)' },
  'prune-paper': { type: 'boolean', help: "pruning with the paper's values where they differ from the code's (delta 0.01, watching TR and RL only)" },
  architecture: { type: 'string', placeholder: 'FILE', help: 'train this architecture.json (e.g. a pruned model) from scratch, pruning off' },
  pretrained: { type: 'string', placeholder: 'WEIGHTS', help: 'initialise from a safetensors file: tensors of matching name and shape (others, e.g. the stem and heads for another dataset, are skipped)' },
  'no-deep-supervision': { type: 'boolean', help: 'train without the deep-supervision heads' },
  seed: { type: 'integer', min: 0, help: 'random seed', defaultText: '0' },
  name: { type: 'string', placeholder: 'NAME', help: 'model folder name', defaultText: 'psp_S (psp_S_noprune, psp_S_scratch), plain or small' },
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
progress.svg, checkpoint_{latest,best,final}; PSP-Seg also pruning.svg and pruning_summary.json). Folds
come from <dataset work>/splits.json (nnU-Net's 5-fold split, created on first use; edit it to choose
your own). PSP-Seg networks are pruned progressively while they train (method.md section 4): each
event is printed and logged in training_log.jsonl; 'pspseg model --from <fold folder>' shows the
final architecture. The defaults are nnU-Net's (SGD lr 1e-2); the authors pruned with --lr 1e-3.`,
  options,
  run: async (o, [dataset]) => {
    const { trainRequest, runTrain } = await import('./train_run.js');
    return runTrain(dataset!, trainRequest(o));
  },
});
