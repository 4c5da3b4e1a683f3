/** Axis permutation of C-order 3D arrays (nnU-Net's transpose_forward / transpose_backward). */
import { type Axes3, type Shape3, permuteTriple } from '../../util/triple.js';

type TypedArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

/** out axis i = in axis p[i] (numpy's a.transpose(p)). Returns the input itself for the identity. */
export function transpose3<A extends TypedArray>(data: A, shape: Shape3, p: Axes3): { data: A; shape: Shape3 } {
  const outShape = permuteTriple(shape, p);
  if (p[0] === 0 && p[1] === 1 && p[2] === 2) return { data, shape: outShape };
  const inStride = [shape[1] * shape[2], shape[2], 1];
  const s0 = inStride[p[0]]!, s1 = inStride[p[1]]!, s2 = inStride[p[2]]!;
  const out = new (data.constructor as { new (n: number): A })(data.length);
  let o = 0;
  for (let i = 0; i < outShape[0]; i++) {
    for (let j = 0; j < outShape[1]; j++) {
      let src = i * s0 + j * s1;
      for (let k = 0; k < outShape[2]; k++, src += s2) out[o++] = data[src]!;
    }
  }
  return { data: out, shape: outShape };
}
