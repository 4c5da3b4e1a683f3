/** `pspseg check DATASET`: validates every case of an MSD or nnU-Net v2 dataset and lists all problems. */
import { defineCommand } from '../command.js';

const options = {
  tolerance: { type: 'number', min: 0, placeholder: 'T', help: 'relative geometry tolerance', defaultText: '1e-3 of a voxel / direction cosine' },
  jobs: { type: 'integer', min: 1, help: 'cases read at once', defaultText: 'CPU count' },
  json: { type: 'boolean', help: 'print the full report as JSON on stdout' },
  quiet: { type: 'boolean', help: 'no progress display' },
} as const;

export const check = defineCommand({
  name: 'check',
  summary: 'validate a dataset folder (MSD or nnU-Net v2): files, geometry, label values',
  args: [{ name: 'DATASET' }],
  description: `Checks every training case of DATASET (a folder with dataset.json, MSD or nnU-Net v2 layout):
missing or unreadable files, image/label shape, spacing and affine agreement, channels on one grid,
NaN/Inf voxels, label values not declared in dataset.json. Warnings (empty labels, unusual
orientation, stray files) do not fail the check. Exit code 0 without errors, 1 with errors.`,
  options,
  run: async (o, [dataset]) => (await import('./check_run.js')).runCheck({ dataset: dataset!, tolerance: o.tolerance, jobs: o.jobs, json: o.json, quiet: o.quiet }),
});
