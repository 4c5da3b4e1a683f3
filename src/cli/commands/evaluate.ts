/** `pspseg evaluate PREDICTIONS REFERENCES`: Dice, NSD and HD95 per case and class. */
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseLabelList } from '../../eval/label_map.js';
import { SUMMARY_FILE } from '../../models/model_folder.js';
import { UsageError, defineCommand } from '../command.js';

const options = {
  labels: { type: 'string', placeholder: 'LIST', help: "classes: label values, a region as values joined by '+' (e.g. 1,2 or 1+2+3,2+3,3)", defaultText: "the dataset's labels (REFERENCES or --dataset), else every nonzero value in the references" },
  dataset: { type: 'string', placeholder: 'DIR', help: 'dataset folder whose dataset.json names the labels' },
  'nsd-tolerance': { type: 'number', min: 0, default: 2, placeholder: 'MM', help: 'NSD tolerance in mm' },
  tolerance: { type: 'number', min: 0, default: 1e-3, placeholder: 'T', help: 'relative geometry tolerance between prediction and reference' },
  model: { type: 'string', placeholder: 'DIR', help: "fold folder written by 'pspseg train': time per epoch, peak memory and parameters under resources.training" },
  output: { type: 'string', placeholder: 'FILE', help: 'summary path (the CSV beside it, .csv)', defaultText: 'PREDICTIONS/summary.json' },
  'allow-missing': { type: 'boolean', help: 'missing predictions do not fail the run' },
  jobs: { type: 'integer', min: 1, help: 'cases evaluated at once', defaultText: 'CPU count, at most 4' },
  quiet: { type: 'boolean', help: 'no progress display' },
} as const;

export const evaluate = defineCommand({
  name: 'evaluate',
  summary: 'score predictions against references: Dice, NSD and HD95 per case and class',
  args: [{ name: 'PREDICTIONS' }, { name: 'REFERENCES' }],
  description: `Compares every prediction (PREDICTIONS/<case>.nii.gz) with its reference: REFERENCES is a folder of
label files (<case>.nii.gz) or a dataset folder (MSD or nnU-Net v2; its training labels). Per case
and class: Dice, IoU, voxel counts, normalised surface Dice (NSD) at a tolerance and the 95th
percentile Hausdorff distance (DeepMind surface-distance definitions; distances in mm from the NIfTI
spacing). Writes summary.json (nnU-Net's layout) and summary.csv (one row per case and class) and
prints the class means. Empty classes: Dice NaN when both are empty; NSD 0 when one is empty, NaN when
both are; HD95 inf when one is empty, NaN when both are. Means ignore NaN.
Exit code 1 when a prediction is missing (unless --allow-missing) or a case failed.`,
  options,
  check: (o) => {
    if (o.output !== undefined && !o.output.endsWith('.json')) throw new UsageError(`--output must name a .json file, got '${o.output}'`);
    if (o.labels !== undefined) labelClasses(o.labels);
  },
  run: async (o, [predictions, references]) => (await import('./evaluate_run.js')).runEvaluate({
    predictions: resolve(predictions!),
    references: resolve(references!),
    dataset: o.dataset,
    classes: o.labels === undefined ? undefined : labelClasses(o.labels),
    nsdToleranceMm: o['nsd-tolerance'],
    geometryTolerance: o.tolerance,
    modelFolder: o.model,
    output: resolve(o.output ?? join(predictions!, SUMMARY_FILE)),
    allowMissing: o['allow-missing'],
    jobs: o.jobs ?? Math.min(4, availableParallelism()),
    quiet: o.quiet,
  }),
});

function labelClasses(text: string) {
  try { return parseLabelList(text); } catch (err) { throw new UsageError(`--labels: ${(err as Error).message}`); }
}
