/**
 * Mixed precision through libtorch's own autocast (the state `torch.autocast` sets): inside `autocast`,
 * each op runs in the precision PyTorch's autocast gives it (convolutions in bfloat16 or float16, the
 * ops autocast keeps in float32 in float32), while the weights stay float32.
 */
import { native } from './native.js';
import type { Device, Tensor } from './tensor.js';
import type { Precision } from './precision.js';

const DTYPE = { bf16: 'bfloat16', fp16: 'float16' } as const;

/** Runs `fn` (synchronous) with autocast on for `device`'s type at `precision`; fp32 runs it as it is. */
export function autocast<T>(precision: Precision, device: Device, fn: () => T): T {
  if (precision === 'fp32') return fn();
  const type = device === 'cpu' ? 'cpu' : 'cuda';
  const previous = native.autocastEnter(type, DTYPE[precision]);
  try {
    return fn();
  } finally {
    native.autocastExit(type, previous);
  }
}

/** GradScaler's unscale kernel (libtorch's, CUDA only): grads *= invScale in place; foundInf = 1 if any is inf/NaN. */
export function ampUnscale(grads: Tensor[], foundInf: Tensor, invScale: Tensor): void {
  native.ampUnscale(grads.map((g) => g.handle), foundInf.handle, invScale.handle);
}

/** GradScaler's update kernel (libtorch's, CUDA only), in place on scale and growthTracker. */
export function ampUpdateScale(scale: Tensor, growthTracker: Tensor, foundInf: Tensor, growthFactor: number, backoffFactor: number, growthInterval: number): void {
  native.ampUpdateScale(scale.handle, growthTracker.handle, foundInf.handle, growthFactor, backoffFactor, growthInterval);
}

