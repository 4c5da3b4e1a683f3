/**
 * `pspseg demo [DATASET]`: the main job on the bundled real data, all of PSP-Seg end to end: check,
 * plan, preprocess (each resumes), train PSP-Seg with progressive pruning on fold 0, predict the
 * fold's validation cases from the original NIfTI files, evaluate, write the report.
 */
import { PSP_VARIANT_NAMES } from '../../models/psp_variants.js';
import { UsageError, defineCommand } from '../command.js';
import { PRECISION_CHOICES, resolvePrecision } from '../../tensor/precision.js';

export const demo = defineCommand({
  name: 'demo',
  summary: 'the main job: check, plan, preprocess, train PSP-Seg with pruning, predict, evaluate, report',
  args: [{ name: 'DATASET', optional: true }],
  description: `Runs all of PSP-Seg on one dataset (default: the bundled MSD Task04 Hippocampus): check, plan and
preprocess (each skipped when done), train PSP-Seg on cross-validation fold 0 with progressive
pruning, predict the fold's validation cases from their original NIfTI files (sliding window,
mirroring), evaluate them (Dice, NSD, HD95), and write report.html. Work files go to
$PSPSEG_WORK/<dataset>/ (default ./pspseg_work/<dataset>/); the model, predictions, evaluation and
report to <work>/models/demo_psp_<variant>/fold_0/ (started afresh each time). Ends with one JSON line.
The schedules and their measured time and Dice: docs/demo.md.`,
  options: {
    dataset: { type: 'string', placeholder: 'DIR', help: 'dataset folder (MSD or nnU-Net v2)', defaultText: '../shared/data/Task04_Hippocampus' },
    schedule: { type: 'choice', values: ['demo', 'paper'], default: 'demo', help: "demo: minutes on a 2-core CPU; paper: nnU-Net's 1000 epochs of 250 iterations, the plan's patch" },
    variant: { type: 'choice', values: PSP_VARIANT_NAMES, default: 'S', help: 'PSP-Seg variant' },
    epochs: { type: 'integer', min: 1, help: "epochs instead of the schedule's" },
    iterations: { type: 'integer', min: 1, help: "training steps per epoch instead of the schedule's" },
    seed: { type: 'integer', min: 0, default: 0, help: 'random seed' },
    'no-tta': { type: 'boolean', help: 'predict without mirroring (faster, usually a little worse)' },
    precision: {
      type: 'choice', values: PRECISION_CHOICES, default: 'auto', placeholder: 'P',
      help: 'training and prediction: auto (bf16 on a CPU that computes bfloat16 natively, else fp32), fp32 or bf16 (autocast to bfloat16)',
    },
  },
  check: (o, [dataset]) => {
    if (o.dataset !== undefined && dataset !== undefined) throw new UsageError('give the dataset once: as DATASET or as --dataset');
  },
  run: async (o, [dataset]) => (await import('./demo_run.js')).runDemo({
    dataset: o.dataset ?? dataset, schedule: o.schedule, variant: o.variant, epochs: o.epochs, iterations: o.iterations, seed: o.seed, tta: !o['no-tta'],
    precision: resolvePrecision(o.precision, 'cpu'),
  }),
});
