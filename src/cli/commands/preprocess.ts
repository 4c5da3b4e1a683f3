/**
 * `pspseg preprocess DATASET`: apply a plan to every training case (crop, normalise, resample) and
 * store one fast-loading .pspcase file per case. Resumes: finished cases are not redone.
 */
import { defineCommand } from '../command.js';

const options = {
  plan: { type: 'string', placeholder: 'FILE', help: 'plan to apply', defaultText: 'WORK/plan.json' },
  out: { type: 'string', placeholder: 'DIR', help: 'output folder', defaultText: 'WORK/preprocessed' },
  workers: { type: 'integer', min: 1, help: 'worker threads', defaultText: 'CPU count' },
  force: { type: 'boolean', help: 'redo every case' },
  'skip-check': { type: 'boolean', help: 'go on although the dataset check finds errors' },
  'keep-plan': { type: 'boolean', help: 'use the plan although the dataset changed since it was made' },
  quiet: { type: 'boolean', help: 'no progress display' },
} as const;

export const preprocess = defineCommand({
  name: 'preprocess',
  summary: 'crop, normalise and resample every case with a plan into fast-loading files',
  args: [{ name: 'DATASET' }],
  description: `Checks DATASET as 'pspseg check' does (cases unchanged since the last check are not read again) and
refuses when it finds errors; refuses a plan made from an earlier state of the dataset. Then
preprocesses every training case with the plan (from 'pspseg plan') into OUT/<case>.pspcase, plus
OUT/plan.json (the plan used) and OUT/cases.json (a manifest). A case is redone when its file is
missing, was made with another plan, or its source files changed (size or modification time); an
interrupted run resumes. Cases are preprocessed as many at a time as fit in memory.
WORK is $PSPSEG_WORK/<dataset name>/ (./pspseg_work/<dataset name>/ without PSPSEG_WORK).`,
  options,
  run: async (o, [dataset]) => (await import('./preprocess_run.js')).runPreprocess({
    dataset: dataset!, plan: o.plan, out: o.out, workers: o.workers, force: o.force, skipCheck: o['skip-check'], keepPlan: o['keep-plan'], quiet: o.quiet,
  }),
});
