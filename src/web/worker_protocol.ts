/** The messages between the page (main.ts) and the inference worker (inference_worker.ts). */
import type { Volume } from '../io/volume.js';
import type { Backend } from './backend_choice.js';

export type ToWorker =
  /** Once, first: the ONNX file's bytes (transferred). */
  | { type: 'model'; bytes: Uint8Array }
  /** One case; the worker answers with progress, then `done` or `failed`. */
  | { type: 'segment'; id: string; volumes: Volume[]; names: string[]; backend: Backend; threads: number; tta: boolean };

export type FromWorker =
  /** What the worker is doing before the windows start ("loading onnxruntime (WASM)"). */
  | { type: 'status'; text: string }
  /** The session that runs the case; `note` says why it is not the one asked for (a WebGPU failure). */
  | { type: 'backend'; backend: Backend; threads: number; name: string; note?: string }
  | { type: 'progress'; done: number; total: number }
  | { type: 'done'; label: Volume; windows: number; seconds: number }
  /** `stage` tells the page which sentence to start with: the model could not be loaded, or the case could not be segmented. */
  | { type: 'failed'; stage: 'load' | 'run'; message: string };
