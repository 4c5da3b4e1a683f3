/**
 * An exported model file (.onnx) run by onnxruntime-node, as prediction sees a model (predict.ts): no
 * libtorch, no fold folder; the file describes itself (deployed_model.ts).
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { missingFileReason } from '../util/missing_file.js';
import { type DeployedModel, readDeployedModel } from './deployed_model.js';
import { onnxWindowForward } from './onnx_forward.js';
import type { PredictionModel } from './predict.js';

export interface OnnxPredictionModel extends PredictionModel {
  model: DeployedModel;
  dispose(): Promise<void>;
}

export const isOnnxFile = (path: string): boolean => path.toLowerCase().endsWith('.onnx');

/** `threads`: onnxruntime's intra-op threads (default: the CPU count, as libtorch uses). */
export async function loadOnnxPredictionModel(path: string, o: { threads?: number } = {}): Promise<OnnxPredictionModel> {
  let bytes: Uint8Array;
  try { bytes = await readFile(path); } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${path}: cannot read the model: ${code === 'ENOENT' ? missingFileReason(path) : (err as Error).message}`, { cause: err });
  }
  const model = readDeployedModel(bytes, path);
  const ort = await import('onnxruntime-node');
  const threads = o.threads ?? availableParallelism();
  let session;
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1 });
  } catch (err) {
    throw new Error(`${path}: onnxruntime cannot load the model: ${(err as Error).message}`, { cause: err });
  }
  const { info, plan } = model;
  return {
    model, source: path, checkpoint: info.checkpoint, device: 'cpu',
    forward: onnxWindowForward(ort, session, `onnxruntime-node cpu (${threads} thread${threads > 1 ? 's' : ''})`),
    plan, patchSize: info.patchSize, numClasses: info.network.classes, inChannels: info.network.inChannels, mirrorAxes: info.mirrorAxes,
    windowBytes: () => 0,
    dispose: () => session.release(),
  };
}
