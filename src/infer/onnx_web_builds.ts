/**
 * The onnxruntime-web builds the browser app loads, by backend, and the files each needs: `pspseg app`
 * copies them from node_modules/onnxruntime-web/dist into the site's ort/ folder, and the page's
 * inference worker imports them from there at run time (never bundled: their threads start workers
 * from their own file, which a bundle would replace with ours). WASM alone is the plain build; WebGPU
 * needs the asyncify build, which has onnxruntime's own WebGPU provider (the default JSEP build's
 * rejects asymmetric 3-D pads). Here because both the page (src/web) and the command (src/cli) need it.
 */

export type OnnxWebBackend = 'webgpu' | 'wasm';

/** The site's folder for them; `ort.env.wasm.wasmPaths` points here. */
export const ORT_FOLDER = 'ort';

export const ORT_BUILDS: Readonly<Record<OnnxWebBackend, { module: string; files: readonly string[] }>> = {
  wasm: { module: 'ort.wasm.min.mjs', files: ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'] },
  webgpu: {
    module: 'ort.webgpu.min.mjs',
    files: ['ort.webgpu.min.mjs', 'ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'],
  },
};
