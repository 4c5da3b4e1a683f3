/** bench:deploy's browser rows: not yet wired to the app's page. */
import type { BenchCase, CaseTiming } from './deploy_engines.js';

export type ChromiumEngine = 'chromium_wasm_2t' | 'chromium_webgpu';
export type ChromiumResult = { engine: ChromiumEngine; name: string; timings: CaseTiming[] } | { engine: ChromiumEngine; name: string; reason: string };

export async function chromiumTimings(_model: string, _cases: BenchCase[], _scratch: string): Promise<ChromiumResult[]> {
  return [
    { engine: 'chromium_wasm_2t', name: 'Chromium wasm (2 threads)', reason: 'the browser app is not built yet' },
    { engine: 'chromium_webgpu', name: 'Chromium WebGPU', reason: 'the browser app is not built yet' },
  ];
}
