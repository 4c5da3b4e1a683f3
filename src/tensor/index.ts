/** The tensor engine: libtorch tensors, autograd, memory scopes. */
export { Tensor, type Device, type Scalar, type TensorOrScalar } from './tensor.js';
export * from './create.js';
export * from './grad_mode.js';
export { ampUnscale, ampUpdateScale, autocast } from './autocast.js';
export { AUTO_BF16_ON_CPU, PRECISIONS, PRECISION_CHOICES, type Precision, type PrecisionChoice, type PrecisionUse, resolvePrecision } from './precision.js';
export * as F from './functional.js';
export { tidy, keep, scopeDepth } from './scope.js';
export { TorchError, type TorchErrorCode } from './errors.js';
export { ProcessGroup, type ProcessGroupOptions, distributedBackends } from './process_group.js';
export { type DType, type TypedArray, isFloating, bytesPerElement } from './dtype.js';
export { saveSafetensors, loadSafetensors, SafetensorsError, type SafetensorsFile } from './safetensors.js';
export { cudaMemory, engineConfig, setThreads, synchronize, type EngineConfig } from './native.js';
import { native } from './native.js';

/** Number of native tensors alive right now in this thread (for leak tests; each worker counts its own). */
export function liveTensorCount(): number {
  return native.liveTensorCount();
}
