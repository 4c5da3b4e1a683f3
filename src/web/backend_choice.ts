/**
 * Where the network runs in this browser, and the sentence the page shows about it. WebGPU when the
 * browser offers a hardware adapter and the model can run there (the export says which ops it has);
 * WASM otherwise: a software adapter (SwiftShader on a machine without a GPU) is correct but many times
 * slower than WASM (a hippocampus scan: about a minute against 4 s). WASM runs on every core when the
 * page is cross-origin isolated (SharedArrayBuffer, which WASM threads need, exists only then; without
 * it onnxruntime silently runs one thread).
 */
import type { OnnxWebBackend } from '../infer/onnx_web_builds.js';

export type Backend = OnnxWebBackend;
export type BackendRequest = 'auto' | Backend;

export interface BackendChoice {
  backend: Backend;
  /** WASM threads: what runs on the CPU (all of it on WASM; on WebGPU, ops the GPU lacks, and the fallback). */
  threads: number;
  /** Why this backend, in a sentence for the page ("" when there is nothing to explain). */
  reason: string;
}

export interface BrowserAbilities {
  /** navigator.gpu gave an adapter. */
  webgpuAdapter: boolean;
  /** ...and it is a software one (adapter.info.isFallbackAdapter). */
  webgpuSoftware?: boolean;
  crossOriginIsolated: boolean;
  /** https, or http from localhost / 127.0.0.1: browsers keep isolation and WebGPU from other pages. */
  secureContext?: boolean;
  hardwareConcurrency: number;
}

export interface ModelAbilities { webgpu: boolean; webgpuNote?: string }

/** More threads than this buy nothing on 3-D windows of this size and cost memory per thread. */
const MAX_THREADS = 16;

export function wasmThreads(browser: BrowserAbilities): number {
  return browser.crossOriginIsolated ? Math.max(1, Math.min(MAX_THREADS, browser.hardwareConcurrency || 1)) : 1;
}

export function chooseBackend(request: BackendRequest, browser: BrowserAbilities, model: ModelAbilities): BackendChoice {
  const wasm = (reason: string): BackendChoice => {
    const threads = wasmThreads(browser);
    const single = browser.crossOriginIsolated ? ''
      : browser.secureContext === false
        ? ' One thread only: browsers allow threads only to pages from https or from this computer (127.0.0.1, localhost), and this page came over plain http from elsewhere.'
        : ' One thread only: the page is not cross-origin isolated (serve it with `pspseg app --serve`, or with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp).';
    return { backend: 'wasm', threads, reason: `${reason}${single}`.trim() };
  };
  if (request === 'wasm') return wasm(''); // asked for: nothing to explain
  if (!model.webgpu) return wasm(`This model cannot run on WebGPU${model.webgpuNote ? ` (${model.webgpuNote})` : ''}: it runs on WASM.`);
  if (!browser.webgpuAdapter) {
    return wasm(request === 'webgpu' ? 'WebGPU was asked for, but this browser offers no WebGPU adapter: it runs on WASM.' : 'This browser offers no WebGPU adapter: it runs on WASM.');
  }
  if (browser.webgpuSoftware) {
    if (request === 'auto') return wasm("This browser's WebGPU runs on the CPU (a software adapter), slower than WASM: it runs on WASM.");
    return { backend: 'webgpu', threads: wasmThreads(browser), reason: "This browser's WebGPU runs on the CPU (a software adapter): expect it to be slow." };
  }
  return { backend: 'webgpu', threads: wasmThreads(browser), reason: '' };
}

/** "WebGPU", "WASM, 8 threads". */
export function describeBackend(backend: Backend, threads: number): string {
  return backend === 'webgpu' ? 'WebGPU' : `WASM, ${threads} thread${threads === 1 ? '' : 's'}`;
}
