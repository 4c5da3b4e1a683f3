/**
 * Nearest-neighbour resizing with torch's 'nearest-exact' rule (output voxel i reads input voxel
 * floor((i + 0.5) * in / out)), which nnU-Net uses for deep-supervision targets and low-resolution
 * simulation. The engine's interpolate only has legacy 'nearest' (floor(i * in / out), biased toward
 * the low corner), so we gather along each axis instead: exact, and fine for integer labels.
 */
import { type Tensor, tensor } from '../../tensor/index.js';

/** Source indices for one axis, computed in float32 as libtorch does so boundary cases agree. */
export function nearestExactIndices(inSize: number, outSize: number): Int32Array {
  const scale = Math.fround(inSize / outSize);
  const idx = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) idx[i] = Math.min(Math.floor(Math.fround(Math.fround(i + 0.5) * scale)), inSize - 1);
  return idx;
}

/** Resizes the trailing spatial dims of [N, C, ...spatial] to `size`. */
export function resizeNearestExact(x: Tensor, size: readonly number[]): Tensor {
  const shape = x.shape;
  const first = shape.length - size.length;
  let out = x;
  size.forEach((n, i) => {
    const dim = first + i;
    if (n === shape[dim]) return;
    const idx = tensor(nearestExactIndices(shape[dim]!, n), [n], { dtype: 'int64', device: x.device });
    out = out.indexSelect(dim, idx);
  });
  return out;
}
