/**
 * The one thing inference needs of a network: logits for a batch of windows. The sliding window, the
 * preprocessing and the export back to the input's grid work on typed arrays around it, so the same
 * code runs with our libtorch network (libtorch_forward.ts), onnxruntime-node, or onnxruntime-web in a
 * browser (onnx_forward.ts).
 */

/** [batch, channels, d, h, w] */
export type WindowBatchDims = readonly [number, number, number, number, number];

export interface WindowForward {
  /** What runs it, for logs and the app: "libtorch cpu", "onnxruntime-web wasm (2 threads)". */
  readonly name: string;
  /** Logits [B, K, d, h, w] (C order, float32) for windows [B, C, d, h, w]. */
  run(input: Float32Array, dims: WindowBatchDims): Promise<Float32Array>;
}
