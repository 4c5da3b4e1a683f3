/**
 * `pspseg predict` at work (loaded when the command runs): segment images with a trained (and possibly
 * pruned) model, the training preprocessing reversed, results on each input's own grid.
 */
import { listInputCases } from '../../infer/input_cases.js';
import { type NetworkBuilder, loadModelFolder } from '../../infer/model_folder.js';
import type { CheckpointKind } from '../../models/model_folder.js';
import { predictCases, predictSummaryLine } from '../../infer/predict.js';
import { libtorchPredictionModel } from '../../infer/libtorch_forward.js';
import { type Device, engineConfig } from '../../tensor/index.js';

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
  batch: number;
  overlap: boolean;
  quiet: boolean;
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
    const r = await predictCases(libtorchPredictionModel(model, o.device), cases, {
      outDir: o.output, step: o.step, tta: o.tta, saveProbabilities: o.saveProbabilities,
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

