/**
 * `pspseg predict` at work (loaded when the command runs): segment images with a trained (and possibly
 * pruned) model, the training preprocessing reversed, results on each input's own grid. A fold folder
 * runs on libtorch; a model file (.onnx, from 'pspseg export') on onnxruntime-node, without loading
 * libtorch at all (engine modules are imported only on the folder's path).
 */
import { listInputCases, type InputCase } from '../../infer/input_cases.js';
import type { NetworkBuilder } from '../../infer/model_folder.js';
import type { CheckpointKind } from '../../models/model_folder.js';
import { type PredictionModel, predictCases, predictSummaryLine } from '../../infer/predict.js';
import { isOnnxFile } from '../../infer/onnx_model_node.js';
import type { Device } from '../../tensor/index.js';
import { type PrecisionChoice, resolvePrecision } from '../../tensor/precision.js';

export interface PredictCommandOptions {
  inputs: string[];
  output: string;
  model: string;
  checkpoint: CheckpointKind;
  /** Only the model's validation cases among the inputs. */
  validationOnly: boolean;
  tta: boolean;
  step: number;
  saveProbabilities: boolean;
  device: Device;
  /** The fold folder's forward precision (`auto` resolved on the device); a .onnx file runs in fp32. */
  precision: PrecisionChoice;
  batch: number;
  overlap: boolean;
  quiet: boolean;
}

interface Opened { model: PredictionModel; valCases: readonly string[]; close: () => Promise<void> | void }

async function openOnnx(o: PredictCommandOptions): Promise<Opened | string> {
  if (o.device !== 'cpu') return `--device ${o.device}: a model file (.onnx) runs on onnxruntime-node's CPU provider here; a fold folder runs on CUDA`;
  if (o.precision !== 'auto' && o.precision !== 'fp32') return `--precision ${o.precision}: a model file (.onnx) runs in fp32 on onnxruntime; a fold folder runs under autocast`;
  const { loadOnnxPredictionModel } = await import('../../infer/onnx_model_node.js');
  const m = await loadOnnxPredictionModel(o.model);
  return { model: m, valCases: m.model.info.valCases, close: () => m.dispose() };
}

async function openFolder(o: PredictCommandOptions, builder?: NetworkBuilder): Promise<Opened | string> {
  const { engineConfig } = await import('../../tensor/index.js');
  if (o.device !== 'cpu') {
    const cfg = engineConfig();
    const index = Number(o.device.split(':')[1] ?? 0);
    if (!cfg.cuda || index >= cfg.cudaDevices) return `--device ${o.device}: ${cfg.cuda ? `only ${cfg.cudaDevices} CUDA device(s)` : 'this libtorch has no CUDA support'}`;
  }
  const { loadModelFolder } = await import('../../infer/model_folder.js');
  const { libtorchPredictionModel } = await import('../../infer/libtorch_forward.js');
  const loaded = await loadModelFolder(o.model, o.checkpoint, { device: o.device, builder });
  return { model: libtorchPredictionModel(loaded, o.device, resolvePrecision(o.precision, o.device, undefined, 'predict')), valCases: loaded.config.valCases, close: () => loaded.network.dispose() };
}

/** The inputs, or only the model's validation cases among them (--val); a string says why there is nothing to do. */
function selectCases(o: PredictCommandOptions, opened: Opened): InputCase[] | string {
  let cases = listInputCases(o.inputs, opened.model.inChannels);
  if (!o.validationOnly) return cases;
  const val = opened.valCases;
  const found = new Set(cases.map((c) => c.id));
  const absent = val.filter((id) => !found.has(id));
  cases = cases.filter((c) => val.includes(c.id));
  if (!cases.length) return `--val: none of the model's ${val.length} validation case(s) (${val.slice(0, 3).join(', ')}, ...) is among the inputs`;
  if (absent.length) console.error(`pspseg predict: --val: ${absent.length} validation case(s) not among the inputs: ${absent.slice(0, 10).join(', ')}${absent.length > 10 ? ', ...' : ''}`);
  return cases;
}

/** Runs a prediction; the exit code is 1 when any case failed. `builder`: networks outside src/models (tests). */
export async function runPredict(o: PredictCommandOptions, { builder }: { builder?: NetworkBuilder } = {}): Promise<number> {
  const opened = isOnnxFile(o.model) ? await openOnnx(o) : await openFolder(o, builder);
  if (typeof opened === 'string') { console.error(`pspseg predict: ${opened}`); return 1; }
  try {
    const cases = selectCases(o, opened);
    if (typeof cases === 'string') { console.error(`pspseg predict: ${cases}`); return 1; }
    const r = await predictCases(opened.model, cases, {
      outDir: o.output, step: o.step, tta: o.tta, saveProbabilities: o.saveProbabilities,
      windowsPerForward: o.batch, preprocessInThread: !o.overlap, progress: !o.quiet,
      onCase: (c) => { if (c.status === 'failed') console.error(`pspseg predict: ${c.id} skipped: ${c.error}`); },
    });
    const end = predictSummaryLine(r, o.output);
    if (end.failed) console.error(`pspseg predict: ${end.line}`); else console.log(end.line);
    return r.failed || end.failed ? 1 : 0;
  } finally {
    await opened.close();
  }
}
