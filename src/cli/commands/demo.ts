/**
 * `pspseg demo [DATASET]`: the main job on the bundled real data until the PSP-Seg training
 * pipeline lands: check, plan, preprocess (each resumes), train a small 3D net, report Dice.
 */
import { defineCommand, type OptionValues } from '../command.js';

const options = {
  iterations: { type: 'integer', min: 1, default: 240, help: 'training steps' },
  batch: { type: 'integer', min: 1, default: 2, help: 'batch size' },
  seed: { type: 'integer', min: 0, default: 0, help: 'random seed' },
} as const;
export type DemoOptions = OptionValues<typeof options>;

export const demo = defineCommand({
  name: 'demo',
  summary: 'the main job on bundled data: check, plan, preprocess, train a small 3D net',
  args: [{ name: 'DATASET', optional: true }],
  description: `DATASET defaults to ../shared/data/Task04_Hippocampus. Work files go to $PSPSEG_WORK/<dataset>/
(default ./pspseg_work/<dataset>/); planning and preprocessing are skipped when already done.`,
  options,
  run: async (o, [dataset]) => (await import('./demo_run.js')).runDemo(o, dataset),
});
