/**
 * An ONNX Runtime session as a window forward (window_forward.ts). The runtime module is passed in:
 * onnxruntime-node in Node, onnxruntime-web in a browser (both have onnxruntime-common's API), so this
 * file imports neither.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { WindowBatchDims, WindowForward } from './window_forward.js';

/** The part of an onnxruntime module used here. */
export interface OnnxRuntimeModule {
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => Tensor;
}

export function onnxWindowForward(ort: OnnxRuntimeModule, session: InferenceSession, name: string): WindowForward {
  const input = session.inputNames[0], output = session.outputNames[0];
  if (!input || !output) throw new Error(`${name}: the model has no input or no output`);
  return {
    name,
    run: async (x: Float32Array, dims: WindowBatchDims) => {
      const feed = new ort.Tensor('float32', x, dims);
      try {
        const out = (await session.run({ [input]: feed }))[output];
        if (!out) throw new Error(`${name}: the session returned no '${output}'`);
        const ok = out.dims.length === 5 && out.dims[0] === dims[0] && out.dims.slice(2).every((n, i) => n === dims[2 + i]);
        if (!ok) throw new Error(`${name}: the model returned [${out.dims}] for windows [${dims}]`);
        if (!(out.data instanceof Float32Array)) throw new Error(`${name}: the model returned ${out.type} logits, float32 expected`);
        return out.data;
      } finally {
        feed.dispose(); // on failure too
      }
    },
  };
}
