/**
 * The network runs here, off the page's thread, so the page keeps drawing its progress bar: the worker
 * loads onnxruntime-web (the build for the backend asked for, from the site's ort/ folder), makes a
 * session from the model's bytes, and segments each case it is sent with the same preprocessing,
 * sliding window and export back to the input's grid as `pspseg predict` (src/infer/segment.ts).
 * A WebGPU session that fails to load or to run is replaced by a WASM one, once, and the page is told.
 */
import type * as OrtModule from 'onnxruntime-web';
import { type DeployedModel, readDeployedModel } from '../infer/deployed_model.js';
import { onnxWindowForward } from '../infer/onnx_forward.js';
import { segmentVolumes } from '../infer/segment.js';
import { type Backend, describeBackend } from './backend_choice.js';
import { ORT_BUILDS, ORT_FOLDER } from '../infer/onnx_web_builds.js';
import type { FromWorker, ToWorker } from './worker_protocol.js';

type Ort = typeof OrtModule;

/** The worker's global scope, typed by hand (the project's lib is the DOM's, not the WebWorker one). */
const scope = self as unknown as {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  location: Location;
};
const post = (m: FromWorker, transfer?: Transferable[]): void => scope.postMessage(m, transfer);
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

let modelBytes: Uint8Array | undefined;
let model: DeployedModel | undefined;
/** One session per backend, made on first use and kept for the next case. */
const sessions = new Map<Backend, Promise<{ ort: Ort; session: OrtModule.InferenceSession; name: string }>>();

async function loadOrt(backend: Backend, threads: number): Promise<Ort> {
  const folder = new URL(`${ORT_FOLDER}/`, scope.location.href).href;
  const ort = await import(folder + ORT_BUILDS[backend].module) as Ort;
  ort.env.wasm.wasmPaths = folder; // the site's own copy: no CDN, works offline
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = 'error';
  return ort;
}

function session(backend: Backend, threads: number): Promise<{ ort: Ort; session: OrtModule.InferenceSession; name: string }> {
  let made = sessions.get(backend);
  if (!made) {
    made = (async () => {
      post({ type: 'status', text: `loading onnxruntime (${describeBackend(backend, threads)})` });
      const ort = await loadOrt(backend, threads);
      post({ type: 'status', text: 'preparing the network' });
      const s = await ort.InferenceSession.create(modelBytes!, { executionProviders: [backend], graphOptimizationLevel: 'all' });
      return { ort, session: s, name: `onnxruntime-web ${describeBackend(backend, threads)}` };
    })();
    made.catch(() => sessions.delete(backend)); // a failed load is tried again next time, not remembered
    sessions.set(backend, made);
  }
  return made;
}

async function segment(m: Extract<ToWorker, { type: 'segment' }>, backend: Backend, threads: number, note?: string): Promise<void> {
  let s;
  try {
    s = await session(backend, threads);
  } catch (err) {
    if (backend === 'webgpu') return segment(m, 'wasm', m.threads, `WebGPU could not load this model (${messageOf(err)}); it runs on WASM instead.`);
    post({ type: 'failed', stage: 'load', message: messageOf(err) });
    return;
  }
  post({ type: 'backend', backend, threads, name: s.name, ...(note ? { note } : {}) });
  try {
    const forward = onnxWindowForward(s.ort, s.session, s.name);
    const result = await segmentVolumes({ id: m.id, volumes: m.volumes, names: m.names }, model!, forward, {
      tta: m.tta, onProgress: (done, total) => post({ type: 'progress', done, total }),
    });
    const data = result.label.data as Uint8Array;
    post({ type: 'done', label: result.label, windows: result.windows, seconds: result.seconds }, [data.buffer]);
  } catch (err) {
    if (backend === 'webgpu') return segment(m, 'wasm', m.threads, `WebGPU failed while segmenting (${messageOf(err)}); it runs on WASM instead.`);
    post({ type: 'failed', stage: 'run', message: messageOf(err) });
  }
}

scope.onmessage = (e: MessageEvent<ToWorker>): void => {
  const m = e.data;
  if (m.type === 'model') {
    modelBytes = m.bytes;
    try {
      model = readDeployedModel(m.bytes, 'model.onnx');
    } catch (err) {
      post({ type: 'failed', stage: 'load', message: messageOf(err) });
    }
    return;
  }
  if (!model) { post({ type: 'failed', stage: 'load', message: 'the model was not loaded' }); return; }
  void segment(m, m.backend, m.threads);
};
