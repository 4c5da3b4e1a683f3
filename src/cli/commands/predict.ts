/** `pspseg predict -i INPUT -o OUTPUT -m MODEL`: segment images with a trained model (a fold folder, or an exported .onnx file). */
import { resolve } from 'node:path';
import { CHECKPOINT_KINDS } from '../../models/model_folder.js';
import { type OptionValues, UsageError, defineCommand } from '../command.js';
import type { PredictCommandOptions } from './predict_run.js';
import type { Device } from '../../tensor/index.js';
import { PRECISION_CHOICES, resolvePrecision } from '../../tensor/precision.js';

const options = {
  input: { type: 'strings', short: 'i', placeholder: 'PATH', help: 'input folder or image file' },
  output: { type: 'string', short: 'o', placeholder: 'DIR', help: 'output folder (created)' },
  model: { type: 'string', short: 'm', placeholder: 'DIR|FILE', help: "fold folder written by 'pspseg train' (<work>/models/<name>/fold_<k>), or a model file written by 'pspseg export' (.onnx)" },
  checkpoint: { type: 'choice', values: CHECKPOINT_KINDS, default: 'final', help: 'which checkpoint of the model' },
  val: { type: 'boolean', help: "only the model's validation cases among the inputs (its fold's, config.json)" },
  'no-tta': { type: 'boolean', help: 'no mirroring test-time augmentation' },
  step: { type: 'number', min: 0, exclusiveMin: true, max: 1, default: 0.5, placeholder: 'F', help: 'sliding-window step as a fraction of the patch' },
  'save-probabilities': { type: 'boolean', help: 'also write the softmax probabilities (.npz)' },
  device: { type: 'string', default: 'cpu', placeholder: 'D', pattern: /^(cpu|cuda(:\d+)?)$/, patternText: 'cpu, cuda or cuda:N', help: 'where to run the network' },
  precision: {
    type: 'choice', values: PRECISION_CHOICES, default: 'auto', placeholder: 'P',
    help: 'a fold folder\'s forward: auto (fp16 on CUDA, fp32 on a CPU), fp32, bf16 or fp16 (CUDA); a .onnx file runs in fp32',
  },
  batch: { type: 'integer', min: 1, default: 1, help: 'windows per network forward' },
  'no-overlap': { type: 'boolean', help: 'preprocess each case in the main thread (no overlap with inference)' },
  quiet: { type: 'boolean', help: 'no progress display' },
} as const;

export const predict = defineCommand({
  name: 'predict',
  summary: 'segment images with a trained model (sliding window, mirroring, back to the input grid)',
  description: `INPUT is a folder of NIfTI images, nnU-Net naming CASE_0000.nii.gz (one file per channel) or one file
per case, or single image files. MODEL is a fold folder written by 'pspseg train'
(config.json, architecture.json, checkpoint_*.safetensors; the plan is the dataset's, found through
config.json), run on libtorch; or a model file written by 'pspseg export' (.onnx), run on
onnxruntime-node's CPU provider without libtorch (the file holds its plan). With --val, INPUT may be the dataset's whole imagesTr: the fold's validation cases are
picked from it. Writes OUTPUT/CASE.nii.gz
(uint8 labels with the input's header), with --save-probabilities also OUTPUT/CASE.npz (softmax,
float16, 'probabilities' [classes, z, y, x]), and OUTPUT/predict_log.json (time per case, peak memory).
A case that cannot be read is reported and skipped; the exit code is then 1.`,
  options,
  check: (o) => {
    if (!o.input.length) throw new UsageError('-i/--input is required');
    if (!o.output) throw new UsageError('-o/--output is required');
    if (!o.model) throw new UsageError('-m/--model is required');
    resolvePrecision(o.precision, o.device, undefined, 'predict'); // fp16 without CUDA: a usage error before anything loads
  },
  run: async (o) => (await import('./predict_run.js')).runPredict(predictRequest(o)),
});

/** The options as what prediction runs with (paths absolute). */
export function predictRequest(o: OptionValues<typeof options>): PredictCommandOptions {
  return {
    inputs: o.input.map((p) => resolve(p)), output: resolve(o.output!), model: resolve(o.model!),
    checkpoint: o.checkpoint, validationOnly: o.val, tta: !o['no-tta'], step: o.step, saveProbabilities: o['save-probabilities'],
    device: o.device as Device, batch: o.batch, overlap: !o['no-overlap'], quiet: o.quiet,
    precision: o.precision,
  };
}
