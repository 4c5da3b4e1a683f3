/** `pspseg export MODEL_FOLDER [-o model.onnx]`: a trained model as one self-describing ONNX file. */
import { basename, join, resolve } from 'node:path';
import { defineCommand } from '../command.js';

const options = {
  output: { type: 'string', short: 'o', placeholder: 'FILE', help: 'the model file to write (.onnx)', defaultText: 'MODEL_FOLDER/model.onnx (model_best.onnx for --checkpoint best)' },
  checkpoint: { type: 'choice', values: ['final', 'best'], default: 'final', help: 'which checkpoint of the model' },
  fp16: { type: 'boolean', help: 'store the weights as float16 (half the file; computation stays float32)' },
} as const;

export const exportCommand = defineCommand({
  name: 'export',
  summary: 'write a trained model as one ONNX file that describes itself (for onnxruntime and the browser app)',
  args: [{ name: 'MODEL_FOLDER' }],
  description: `Writes the fold folder's network (pruned or not; masked blocks left out) as an ONNX model: opset 17,
float32, input 'image' [batch, channels, depth, height, width] and output 'logits' [batch, classes,
depth, height, width] with symbolic batch and spatial sizes. Everything inference needs is inside, as
JSON in the metadata key 'pspseg': the plan (target spacing, axes, normalisation per channel with its
statistics, patch), labels and channel names, mirroring axes, parameters before and after pruning,
the pruning grid and the validation Dice when the fold has them. 'pspseg predict -m FILE' and
'pspseg app FILE' need nothing else; neither needs libtorch. PlainUNet's 3-D ConvTranspose does not
run on onnxruntime-web's WebGPU provider (the app uses WASM for it).`,
  options,
  check: () => {},
  run: async (o, [folder]) => {
    const dir = resolve(folder!);
    const output = resolve(o.output ?? join(dir, o.checkpoint === 'best' ? 'model_best.onnx' : 'model.onnx'));
    if (!output.toLowerCase().endsWith('.onnx')) console.error(`pspseg export: note: ${basename(output)} does not end in .onnx (pspseg predict tells model files by that ending)`);
    return (await import('./export_run.js')).runExport(dir, output, { checkpoint: o.checkpoint, halfWeights: o.fp16 });
  },
});
