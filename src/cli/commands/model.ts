/** `pspseg model`: a network's architecture like torchinfo (output shapes, parameters, activation memory). */
import { defineCommand, type OptionValues } from '../command.js';

const options = {
  arch: { type: 'string', default: 'psp', placeholder: 'psp|plain', help: "PSP-Seg or nnU-Net's PlainConvUNet" },
  variant: { type: 'string', placeholder: 'S|B|L', help: 'PSP-Seg variant', defaultText: 'S' },
  branches: { type: 'integer', min: 1, max: 7, placeholder: '1|4|7', help: "PRM branches (kernel set) instead of the variant's" },
  ratio: { type: 'number', min: 0, exclusiveMin: true, placeholder: 'R', help: "efficient-block squeeze ratio instead of the variant's" },
  features: { type: 'string', placeholder: 'C0,C1,...', help: 'channels per stage (psp), or features per stage (plain)' },
  'norm-affine': { type: 'boolean', help: 'affine InstanceNorm in PSP-Seg (the reference counts have none)' },
  in: { type: 'integer', min: 1, help: 'input channels', defaultText: "the plan's, else 1" },
  classes: { type: 'integer', min: 1, help: 'output classes, background included', defaultText: "the plan's, else 2" },
  'no-deep-supervision': { type: 'boolean', help: "no deep-supervision heads (PlainUNet keeps them, unused)" },
  spacing: { type: 'string', placeholder: 'Z,Y,X', help: "voxel spacing for PlainUNet's topology (nnU-Net rules)", defaultText: '1,1,1' },
  from: { type: 'string', placeholder: 'FILE|DIR', help: 'a saved architecture.json, or a model folder that has one (a trained PSP-Seg fold folder also shows its pruning summary)' },
  plan: { type: 'string', placeholder: 'plan.json', help: 'input channels, classes, patch and batch from a plan (PlainUNet: its topology too)' },
  patch: { type: 'string', placeholder: 'N|D,H,W', help: 'patch size', defaultText: "the plan's, else 128" },
  batch: { type: 'integer', min: 1, help: 'batch size for the activation estimate', defaultText: "the plan's, else 2" },
  blocks: { type: 'boolean', help: 'list every PRM block too' },
  json: { type: 'boolean', help: 'end with one JSON line (architecture, params, layers, ...)' },
} as const;
export type ModelOptions = OptionValues<typeof options>;

export const model = defineCommand({
  name: 'model',
  summary: 'print a network architecture: modules, output shapes, parameters, activation memory',
  description: `Builds the network and prints each module with its output shape for a patch, its parameter count and
an estimate of the activations a training step keeps for backward, then the totals. The architecture
comes from the options (default: PSP-Seg S, 1 input channel, 2 classes, patch 128^3, batch 2), a saved
architecture file or model folder (--from), or a plan (--plan).`,
  options,
  run: async (o) => {
    const { modelRequest, runModel } = await import('./model_run.js');
    return runModel(modelRequest(o));
  },
});
