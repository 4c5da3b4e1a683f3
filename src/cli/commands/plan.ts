/**
 * `pspseg plan DATASET`: fingerprint a dataset and write its plan (target spacing, normalisation,
 * transpose, patch and batch size) as editable JSON.
 */
import { defineCommand } from '../command.js';

// The defaults live in data/plan_geometry.ts (which loads the engine); a test checks these texts against them.
const options = {
  out: { type: 'string', placeholder: 'DIR', help: 'output folder', defaultText: 'the DIR above' },
  budget: { type: 'integer', min: 1, help: 'patch voxels x batch size upper bound', defaultText: '4194304 = 2 x 128^3' },
  // PSP-Seg's networks pool 4 (S, B) or 5 (L) times; 6 makes every patch side a multiple of 64.
  'num-pools': { type: 'integer', min: 0, max: 6, help: 'network downsamplings; patch sides are multiples of 2^N', defaultText: '4' },
  'target-spacing': { type: 'xyz', min: 0, exclusiveMin: true, help: 'override the target spacing (mm, per image axis x, y, z)' },
  workers: { type: 'integer', min: 1, help: 'worker threads', defaultText: 'CPU count' },
  'skip-check': { type: 'boolean', help: 'go on although the dataset check finds errors' },
  force: { type: 'boolean', help: 'replace a plan.json edited by hand (kept as plan.json.edited)' },
  quiet: { type: 'boolean', help: 'no progress display' },
} as const;

export const plan = defineCommand({
  name: 'plan',
  summary: 'fingerprint a dataset and write its preprocessing/training plan (plan.json)',
  args: [{ name: 'DATASET' }],
  description: `Checks DATASET (a folder with dataset.json, MSD or nnU-Net v2 layout) as 'pspseg check' does and refuses
when it finds errors; reads every training case, collects spacings, shapes and foreground
intensities, and writes:
  DIR/plan.json         the plan (pretty JSON, may be edited by hand; 'pspseg preprocess' reads it)
  DIR/fingerprint.json  the dataset fingerprint it was derived from
DIR defaults to $PSPSEG_WORK/<dataset name>/, or ./pspseg_work/<dataset name>/ without PSPSEG_WORK.
Triples are per image axis (x, y, z as in the NIfTI files). A plan whose preprocessing of a case
would not fit in memory is refused.`,
  options,
  run: async (o, [dataset]) => (await import('./plan_run.js')).runPlan({
    dataset: dataset!, out: o.out, budget: o.budget, numPools: o['num-pools'], targetSpacingXYZ: o['target-spacing'], workers: o.workers,
    skipCheck: o['skip-check'], force: o.force, quiet: o.quiet,
  }),
});
