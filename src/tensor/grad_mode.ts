/** Switching autograd off: `noGrad` (no graph recorded) and `inferenceMode` (no bookkeeping at all). */
import { native } from './native.js';

/** Runs `fn` with gradient recording off (torch.no_grad). `fn` must be synchronous. */
export function noGrad<T>(fn: () => T): T {
  const previous = native.isGradEnabled();
  native.setGradEnabled(false);
  try {
    return fn();
  } finally {
    native.setGradEnabled(previous);
  }
}

/** Runs `fn` in libtorch's inference mode (faster than noGrad; results can never enter autograd). */
export function inferenceMode<T>(fn: () => T): T {
  return native.withInferenceMode(fn);
}

export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}
