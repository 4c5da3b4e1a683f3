/**
 * `pspseg demo [DATASET]`: the main job on the bundled real data: check, plan, preprocess (each
 * resumes), train on fold 0 with the trainer (a short schedule), report the validation pseudo Dice.
 */
import { defineCommand, type OptionValues } from '../command.js';

const options = {
  epochs: { type: 'integer', min: 1, default: 6, help: 'epochs' },
  iterations: { type: 'integer', min: 1, default: 40, help: 'training steps per epoch' },
  batch: { type: 'integer', min: 1, default: 2, help: 'batch size' },
  seed: { type: 'integer', min: 0, default: 0, help: 'random seed' },
} as const;
export type DemoOptions = OptionValues<typeof options>;

export const demo = defineCommand({
  name: 'demo',
  summary: 'the main job on bundled data: check, plan, preprocess, train, validate',
  args: [{ name: 'DATASET', optional: true }],
  description: `DATASET defaults to ../shared/data/Task04_Hippocampus. Work files go to $PSPSEG_WORK/<dataset>/
(default ./pspseg_work/<dataset>/); planning and preprocessing are skipped when already done. The
model goes to <work>/models/demo/fold_0/ (started afresh each time).`,
  options,
  run: async (o, [dataset]) => (await import('./demo_run.js')).runDemo(o, dataset),
});
