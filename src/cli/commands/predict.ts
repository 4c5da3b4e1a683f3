/**
 * pspseg predict -i INPUT -o OUTPUT -m MODEL_FOLDER: segment images with a trained (and possibly
 * pruned) model, the training preprocessing reversed, results on each input's own grid.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { listInputCases } from '../../infer/input_cases.js';
import { CHECKPOINTS, type CheckpointName, loadModelFolder } from '../../infer/model_folder.js';
import { PREDICT_LOG_FILE, predictCases } from '../../infer/predict.js';
import { type Device, engineConfig } from '../../tensor/index.js';

export const summary = 'segment images with a trained model (sliding window, mirroring, back to the input grid)';

const USAGE = `usage: pspseg predict -i INPUT [-i INPUT...] -o OUTPUT -m MODEL_FOLDER [options]

INPUT is a folder of NIfTI images, nnU-Net naming CASE_0000.nii.gz (one file per channel) or one file
per case, or single image files. MODEL_FOLDER is a fold folder written by 'pspseg train'
(config.json, architecture.json, plan.json, checkpoint_*.safetensors). Writes OUTPUT/CASE.nii.gz
(uint8 labels with the input's header), with --save-probabilities also OUTPUT/CASE.npz (softmax,
float16, 'probabilities' [classes, z, y, x]), and OUTPUT/${PREDICT_LOG_FILE} (time per case, peak memory).
A case that cannot be read is reported and skipped; the exit code is then 1.

options:
  -i, --input PATH        input folder or image file (repeatable)
  -o, --output DIR        output folder (created)
  -m, --model DIR         model folder
  --checkpoint NAME       final (default), best or latest
  --no-tta                no mirroring test-time augmentation
  --step F                sliding-window step as a fraction of the patch, in (0, 1] (default 0.5)
  --save-probabilities    also write the softmax probabilities (.npz)
  --device D              cpu (default) or cuda[:N]
  --batch N               windows per network forward (default 1)
  --no-overlap            preprocess each case in the main thread (no overlap with inference)
  --quiet                 no progress display
  -h, --help              this text`;

export interface PredictCommandOptions {
  inputs: string[];
  output: string;
  model: string;
  checkpoint: CheckpointName;
  tta: boolean;
  step: number;
  saveProbabilities: boolean;
  device: Device;
  batch: number;
  overlap: boolean;
  quiet: boolean;
}

/** Parses and validates the arguments; throws an Error naming the bad option. `null`: help was asked for. */
export function parsePredictArgs(args: string[]): PredictCommandOptions | null {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      input: { type: 'string', short: 'i', multiple: true }, output: { type: 'string', short: 'o' }, model: { type: 'string', short: 'm' },
      checkpoint: { type: 'string' }, 'no-tta': { type: 'boolean' }, step: { type: 'string' }, 'save-probabilities': { type: 'boolean' },
      device: { type: 'string' }, batch: { type: 'string' }, 'no-overlap': { type: 'boolean' }, quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  if (positionals.length) throw new Error(`unexpected argument '${positionals[0]}'`);
  if (!values.input?.length) throw new Error('-i/--input is required');
  if (!values.output) throw new Error('-o/--output is required');
  if (!values.model) throw new Error('-m/--model is required');
  const checkpoint = values.checkpoint ?? 'final';
  if (!(CHECKPOINTS as readonly string[]).includes(checkpoint)) throw new Error(`--checkpoint must be one of ${CHECKPOINTS.join(', ')}, got '${checkpoint}'`);
  let step = 0.5;
  if (values.step !== undefined) {
    step = Number(values.step);
    if (values.step.trim() === '' || !Number.isFinite(step) || step <= 0 || step > 1) throw new Error(`--step must be a number in (0, 1], got '${values.step}'`);
  }
  let batch = 1;
  if (values.batch !== undefined) {
    batch = Number(values.batch);
    if (!/^\d+$/.test(values.batch.trim()) || batch < 1) throw new Error(`--batch must be a positive integer, got '${values.batch}'`);
  }
  const device = (values.device ?? 'cpu') as Device;
  if (!/^(cpu|cuda(:\d+)?)$/.test(device)) throw new Error(`--device must be cpu, cuda or cuda:N, got '${device}'`);
  return {
    inputs: values.input.map((p) => resolve(p)), output: resolve(values.output), model: resolve(values.model),
    checkpoint: checkpoint as CheckpointName, tta: !values['no-tta'], step, saveProbabilities: Boolean(values['save-probabilities']),
    device, batch, overlap: !values['no-overlap'], quiet: Boolean(values.quiet),
  };
}

/** Runs a prediction; the exit code is 1 when any case failed. */
export async function runPredict(o: PredictCommandOptions): Promise<number> {
  if (o.device !== 'cpu') {
    const cfg = engineConfig();
    const index = Number(o.device.split(':')[1] ?? 0);
    if (!cfg.cuda || index >= cfg.cudaDevices) {
      console.error(`pspseg predict: --device ${o.device}: ${cfg.cuda ? `only ${cfg.cudaDevices} CUDA device(s)` : 'this libtorch has no CUDA support'}`);
      return 1;
    }
  }
  const model = await loadModelFolder(o.model, o.checkpoint, { device: o.device });
  try {
    const cases = listInputCases(o.inputs, model.inChannels);
    const r = await predictCases(model, cases, {
      outDir: o.output, step: o.step, tta: o.tta, saveProbabilities: o.saveProbabilities, device: o.device,
      windowsPerForward: o.batch, preprocessInThread: !o.overlap, progress: !o.quiet,
      onCase: (c) => { if (c.status === 'failed') console.error(`pspseg predict: ${c.id} skipped: ${c.error}`); },
    });
    const ok = r.cases.filter((c) => c.status === 'ok');
    const mean = ok.length ? ok.reduce((s, c) => s + c.seconds!, 0) / ok.length : 0;
    console.log(`${ok.length}/${r.cases.length} case(s) predicted into ${o.output} (${mean.toFixed(2)} s per case, peak memory ${r.peak_rss_mb} MB)`
      + (r.failed ? `; ${r.failed} failed` : ''));
    return r.failed ? 1 : 0;
  } finally {
    model.network.dispose();
  }
}

export async function run(args: string[]): Promise<number> {
  let options: PredictCommandOptions | null;
  try { options = parsePredictArgs(args); } catch (err) {
    console.error(`pspseg predict: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (!options) { console.log(USAGE); return 0; }
  return runPredict(options);
}
