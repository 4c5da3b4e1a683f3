/**
 * `pspseg preprocess DATASET`: apply a plan to every training case (crop, normalise, resample) and
 * store one fast-loading .pspcase file per case. Resumes: finished cases are not redone.
 */
import { defineCommand, type OptionValues } from '../command.js';

const options = {
  plan: { type: 'string', placeholder: 'FILE', help: 'plan to apply', defaultText: 'WORK/plan.json' },
  out: { type: 'string', placeholder: 'DIR', help: 'output folder', defaultText: 'WORK/preprocessed' },
  workers: { type: 'integer', min: 1, help: 'worker threads', defaultText: 'CPU count' },
  force: { type: 'boolean', help: 'redo every case' },
  quiet: { type: 'boolean', help: 'no progress display' },
} as const;
export type PreprocessOptions = OptionValues<typeof options>;

export const preprocess = defineCommand({
  name: 'preprocess',
  summary: 'crop, normalise and resample every case with a plan into fast-loading files',
  args: [{ name: 'DATASET' }],
  description: `Preprocesses every training case of DATASET with a plan (from 'pspseg plan') into OUT/<case>.pspcase,
plus OUT/plan.json (the plan used) and OUT/cases.json (a manifest). An interrupted run resumes: cases
whose file exists and was made with the same plan are skipped.
WORK is $PSPSEG_WORK/<dataset name>/ (./pspseg_work/<dataset name>/ without PSPSEG_WORK).`,
  options,
  run: async (o, [dataset]) => (await import('./preprocess_run.js')).runPreprocess(o, dataset!),
});
