/** `pspseg model`: a network's architecture like torchinfo (output shapes, parameters, activation memory). */
import { PSP_VARIANT_NAMES, isBranchCount } from '../../models/psp_variants.js';
import { UsageError, defineCommand, type OptionValues } from '../command.js';
import type { ModelRequest } from './model_run.js';

const options = {
  arch: { type: 'choice', values: ['psp', 'plain'], default: 'psp', help: "PSP-Seg or nnU-Net's PlainConvUNet" },
  variant: { type: 'choice', values: PSP_VARIANT_NAMES, help: 'PSP-Seg variant', defaultText: 'S' },
  branches: { type: 'integer', min: 1, max: 7, placeholder: '1|4|7', help: "PRM branches (kernel set) instead of the variant's" },
  ratio: { type: 'number', min: 0, exclusiveMin: true, placeholder: 'R', help: "efficient-block squeeze ratio instead of the variant's" },
  features: { type: 'string', placeholder: 'C0,C1,...', pattern: /^\s*\d+\s*(,\s*\d+\s*)*$/, patternText: 'channels per stage, comma-separated', help: 'channels per stage (psp), or features per stage (plain)' },
  'norm-affine': { type: 'boolean', help: 'affine InstanceNorm in PSP-Seg (the reference counts have none)' },
  in: { type: 'integer', min: 1, help: 'input channels', defaultText: "the plan's, else 1" },
  classes: { type: 'integer', min: 1, help: 'output classes, background included', defaultText: "the plan's, else 2" },
  'no-deep-supervision': { type: 'boolean', help: 'no deep-supervision heads (PlainUNet keeps them, unused)' },
  spacing: { type: 'xyz', min: 0, exclusiveMin: true, help: "voxel spacing in mm for PlainUNet's topology (nnU-Net rules)", defaultText: '1,1,1' },
  from: { type: 'string', placeholder: 'FILE|DIR', help: "a saved architecture.json, or a model folder that has one (a trained fold folder: its patch and batch, and its pruning summary)" },
  plan: { type: 'string', placeholder: 'plan.json', help: 'input channels, classes, patch and batch from a plan (PlainUNet: its topology too)' },
  patch: { type: 'xyz', integer: true, min: 1, help: 'patch size per image axis (one number: a cube)', defaultText: "the trained fold's or the plan's, else 128" },
  batch: { type: 'integer', min: 1, help: 'batch size for the activation estimate', defaultText: "the trained fold's or the plan's, else 2" },
  ranks: { type: 'integer', min: 1, help: "data-parallel ranks the batch is split over (pspseg train --nproc-per-node x --nnodes): memory per rank", defaultText: "the trained fold's, else 1" },
  blocks: { type: 'boolean', help: 'list every PRM block too' },
  json: { type: 'boolean', help: 'end with one JSON line (architecture, params, layers, ...)' },
} as const;

/** The options as a model request; UsageError for values that do not fit together. */
function modelRequest(v: OptionValues<typeof options>): ModelRequest {
  if (v.branches !== undefined && !isBranchCount(v.branches)) throw new UsageError(`--branches must be 1, 4 or 7, got '${v.branches}'`);
  const given = (o: keyof typeof options): boolean => v[o] !== undefined && v[o] !== false;
  if (v.arch === 'plain') {
    for (const o of ['variant', 'branches', 'ratio', 'norm-affine'] as const)
      if (given(o)) throw new UsageError(`--${o} applies to PSP-Seg only (--arch psp)`);
  } else if (v.spacing !== undefined) throw new UsageError('--spacing applies to PlainUNet only (--arch plain)');
  if (v.from !== undefined) {
    const clash = (['variant', 'branches', 'ratio', 'features', 'norm-affine', 'in', 'classes', 'no-deep-supervision', 'spacing', 'plan'] as const).filter(given);
    if (clash.length) throw new UsageError(`--from reads the whole architecture from the file; drop ${clash.map((o) => `--${o}`).join(', ')}`);
  }
  return {
    arch: v.arch, variant: v.variant, branches: v.branches as ModelRequest['branches'], ratio: v.ratio,
    features: v.features?.split(',').map((s) => Number(s.trim())),
    normAffine: v['norm-affine'], inChannels: v.in, classes: v.classes, deepSupervision: !v['no-deep-supervision'],
    spacingXYZ: v.spacing, from: v.from, plan: v.plan, patchXYZ: v.patch, batch: v.batch, ranks: v.ranks, blocks: v.blocks, json: v.json,
  };
}

export const model = defineCommand({
  name: 'model',
  summary: 'print a network architecture: modules, output shapes, parameters, activation memory',
  description: `Builds the network and prints each module with its output shape for a patch, its parameter count and
an estimate of the activations a training step keeps for backward, then the totals. The architecture
comes from the options (default: PSP-Seg S, 1 input channel, 2 classes, patch 128^3, batch 2), a saved
architecture file or model folder (--from), or a plan (--plan). With data-parallel ranks (--ranks) the
memory is one rank's, for its share of the batch. Triples are per image axis x, y, z;
output shapes are the network's arrays, [N, C] and then the spatial axes in the network's order, as labelled.`,
  options,
  check: (o) => { modelRequest(o); },
  run: async (o) => (await import('./model_run.js')).runModel(modelRequest(o)),
});
