/**
 * `pspseg predict` at work (loaded when the command runs): segment images with a trained (and possibly
 * pruned) model, the training preprocessing reversed, results on each input's own grid.
 */
import { resolve } from 'node:path';
import { listInputCases } from '../../infer/input_cases.js';
import { CHECKPOINTS, type CheckpointName, type NetworkBuilder, loadModelFolder } from '../../infer/model_folder.js';
import { PREDICT_LOG_FILE, predictCases, predictSummaryLine } from '../../infer/predict.js';
import { type Device, engineConfig } from '../../tensor/index.js';
import { UsageError } from '../command.js';
import type { PredictOptions } from './predict.js';

export interface PredictCommandOptions {
  inputs: string[];
  output: string;
  model: string;
  checkpoint: CheckpointName;
  /** Only the model's validation cases among the inputs. */
  validationOnly: boolean;
  tta: boolean;
  step: number;
  saveProbabilities: boolean;
  device: Device;
  batch: number;
  overlap: boolean;
  quiet: boolean;
}

/** The parsed command line as prediction options; a bad value is a usage error naming the option. */
export function predictOptions(o: PredictOptions): PredictCommandOptions {
  if (!o.input.length) throw new UsageError('-i/--input is required');
  if (!o.output) throw new UsageError('-o/--output is required');
  if (!o.model) throw new UsageError('-m/--model is required');
  if (!(CHECKPOINTS as readonly string[]).includes(o.checkpoint)) throw new UsageError(`--checkpoint must be one of ${CHECKPOINTS.join(', ')}, got '${o.checkpoint}'`);
  if (!/^(cpu|cuda(:\d+)?)$/.test(o.device)) throw new UsageError(`--device must be cpu, cuda or cuda:N, got '${o.device}'`);
  return {
    inputs: o.input.map((p) => resolve(p)), output: resolve(o.output), model: resolve(o.model),
    checkpoint: o.checkpoint as CheckpointName, validationOnly: o.val, tta: !o['no-tta'], step: o.step, saveProbabilities: o['save-probabilities'],
    device: o.device as Device, batch: o.batch, overlap: !o['no-overlap'], quiet: o.quiet,
  };
}

/** Runs a prediction; the exit code is 1 when any case failed. `builder`: networks outside src/models (tests). */
export async function runPredict(o: PredictCommandOptions, { builder }: { builder?: NetworkBuilder } = {}): Promise<number> {
  if (o.device !== 'cpu') {
    const cfg = engineConfig();
    const index = Number(o.device.split(':')[1] ?? 0);
    if (!cfg.cuda || index >= cfg.cudaDevices) {
      console.error(`pspseg predict: --device ${o.device}: ${cfg.cuda ? `only ${cfg.cudaDevices} CUDA device(s)` : 'this libtorch has no CUDA support'}`);
      return 1;
    }
  }
  const model = await loadModelFolder(o.model, o.checkpoint, { device: o.device, builder });
  try {
    let cases = listInputCases(o.inputs, model.inChannels);
    if (o.validationOnly) {
      const val = model.config.valCases;
      const found = new Set(cases.map((c) => c.id));
      const absent = val.filter((id) => !found.has(id));
      cases = cases.filter((c) => val.includes(c.id));
      if (!cases.length) { console.error(`pspseg predict: --val: none of the model's ${val.length} validation case(s) (${val.slice(0, 3).join(', ')}, ...) is among the inputs`); return 1; }
      if (absent.length) console.error(`pspseg predict: --val: ${absent.length} validation case(s) not among the inputs: ${absent.slice(0, 10).join(', ')}${absent.length > 10 ? ', ...' : ''}`);
    }
    const r = await predictCases(model, cases, {
      outDir: o.output, step: o.step, tta: o.tta, saveProbabilities: o.saveProbabilities, device: o.device,
      windowsPerForward: o.batch, preprocessInThread: !o.overlap, progress: !o.quiet,
      onCase: (c) => { if (c.status === 'failed') console.error(`pspseg predict: ${c.id} skipped: ${c.error}`); },
    });
    const end = predictSummaryLine(r, o.output);
    if (end.failed) console.error(`pspseg predict: ${end.line}`); else console.log(end.line);
    return r.failed || end.failed ? 1 : 0;
  } finally {
    model.network.dispose();
  }
}

