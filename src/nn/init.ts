/** Weight initialisation. */
import { type Generator, type Tensor, normal_ } from '../tensor/index.js';

/**
 * Kaiming-He normal init in fan-in mode for a leaky ReLU of slope `a` (nnU-Net uses a = 0.01):
 * std = sqrt(2 / (1 + a^2)) / sqrt(fan_in). As in PyTorch, fan_in is dim 1 times the kernel
 * size, which for transposed convolutions is the output channel count.
 */
export function kaimingNormal_(w: Tensor, a = 0.01, generator?: Generator): Tensor {
  const shape = w.shape;
  if (shape.length < 2) throw new Error(`kaimingNormal_: needs a weight with >= 2 dims, got [${shape}]`);
  const fanIn = shape.slice(1).reduce((x, y) => x * y, 1);
  const std = Math.sqrt(2 / (1 + a * a)) / Math.sqrt(fanIn);
  return normal_(w, 0, std, generator);
}
