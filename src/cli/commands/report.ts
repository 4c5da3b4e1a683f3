/** `pspseg report MODEL_FOLDER`: one self-contained report.html about a trained model fold. */
import { defineCommand } from '../command.js';

const options = {
  summary: { type: 'string', placeholder: 'FILE', help: "evaluation summary.json written by 'pspseg evaluate'", defaultText: 'MODEL_FOLDER/validation/summary.json, if there' },
  output: { type: 'string', short: 'o', placeholder: 'FILE', help: 'where to write the report', defaultText: 'MODEL_FOLDER/report.html' },
} as const;

export const report = defineCommand({
  name: 'report',
  summary: 'write report.html about a trained model: data, training curves, pruning, cost, evaluation, slice pictures',
  args: [{ name: 'MODEL_FOLDER' }],
  description: `MODEL_FOLDER is a fold folder written by 'pspseg train' (config.json, architecture.json,
training_log.jsonl, progress.svg, pruning.svg when pruned). The report (one HTML file: no network
requests, pictures inline) shows the dataset and plan, the training curves, the pruning grid and the
final architecture, parameters, time and memory, and, with an evaluation, Dice, NSD and HD95 per
class and per case and slice pictures of the best, median and worst case. The evaluation is
MODEL_FOLDER/validation/summary.json (predict the fold's validation cases into MODEL_FOLDER/validation
and run 'pspseg evaluate' there) or --summary; predictions are read from the summary's folder, images
from the dataset. Missing files leave their sections saying how to produce them.`,
  options,
  run: async (o, [folder]) => (await import('./report_run.js')).runReport({ folder: folder!, summary: o.summary, output: o.output }),
});
