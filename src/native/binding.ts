/**
 * The addon's interface (native/src/*.cpp): one flat table of functions, one per op. This is the
 * only place that states their arguments and results; `src/tensor` loads the addon as this type.
 * Optional arguments take `undefined` or `null` for "default"; shapes and dims take a number or a list.
 */

/** Opaque handle to a native `at::Tensor`. */
export type Handle = { readonly __brand: 'TensorHandle' };
/** Opaque handle to a native `at::Generator`. */
export type GeneratorHandle = { readonly __brand: 'GeneratorHandle' };
/** Opaque handle to a c10d process group (distributed.cpp). */
export type ProcessGroupHandle = { readonly __brand: 'ProcessGroupHandle' };

/** distributed.cpp `distInit`: where the group meets (rank 0 serves the TCPStore at masterAddr:masterPort). */
export interface NativeGroupOptions { rank: number; worldSize: number; masterAddr: string; masterPort: number; timeoutMs: number; iface?: string }

/** Element types the addon knows (common.cpp, kDtypes). */
export type NativeDType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';
/** A device string c10 parses. */
export type NativeDevice = 'cpu' | 'cuda' | `cuda:${number}`;
/** A JS number becomes an int64 scalar when integral, a double otherwise; booleans stay bool. */
export type NativeScalar = number | boolean;
/** One integer or a list of them (a single number means one entry, or the same for every spatial dim). */
export type IntList = number | readonly number[];
type Opt<T> = T | null | undefined;
export type Reduction = 'mean' | 'sum' | 'none';
export type InterpolateMode = 'nearest' | 'linear' | 'bilinear' | 'trilinear';
export type PadMode = 'constant' | 'reflect' | 'replicate';
export type GridSampleMode = 'bilinear' | 'nearest' | 'bicubic';
export type GridSamplePadding = 'zeros' | 'border' | 'reflection';
/** What `fromBuffer` copies from: a typed array (over any buffer, shared too) or an ArrayBuffer. */
export type NativeBuffer = ArrayBuffer | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** runtime.cpp `config()`. */
export interface NativeConfig {
  torchVersion: string;
  threads: number;
  interopThreads: number;
  mkldnn: boolean;
  openmp: boolean;
  mkl: boolean;
  cuda: boolean;
  cudaDevices: number;
  mallocTuned: boolean;
  /** allocator.cpp: large CPU blocks on their own huge-page mappings ('huge-pages') or glibc's heap ('glibc'). */
  allocator: NativeAllocatorInfo;
  parallelInfo: string;
}

/** allocator.cpp's state; the byte counts only with the huge-page allocator. */
export interface NativeAllocatorInfo {
  name: 'huge-pages' | 'glibc';
  mappedBytes?: number;
  cachedBytes?: number;
  peakMappedBytes?: number;
  maps?: number;
  reuses?: number;
}

/** autocast.cpp: the autocast state of one device type, as autocastEnter returns it. */
export interface NativeAutocastState { enabled: boolean; dtype: NativeDType }

/** tensor_ops.cpp `info()`; DtypeName answers 'unsupported' for types the addon never creates. */
export interface NativeTensorInfo { shape: number[]; dtype: NativeDType | 'unsupported'; device: string }

type Unary = (t: Handle) => Handle;
type BinaryScalar = (a: Handle, other: Handle | NativeScalar) => Handle;
type BinaryTensors = (a: Handle, b: Handle) => Handle;
type Create = (shape: IntList, dtype?: Opt<NativeDType>, device?: Opt<NativeDevice>) => Handle;
type Draw = (shape: IntList, dtype?: Opt<NativeDType>, device?: Opt<NativeDevice>, generator?: Opt<GeneratorHandle>) => Handle;
type Reduce = (t: Handle, dims?: Opt<IntList>, keepdim?: boolean) => Handle;
type VarStd = (t: Handle, dims?: Opt<IntList>, correction?: Opt<number>, keepdim?: boolean) => Handle;
type ValuesIndices = (t: Handle, dim: number, keepdim?: boolean) => [Handle, Handle];
type ArgReduce = (t: Handle, dim?: Opt<number>, keepdim?: boolean) => Handle;
type Pool = (x: Handle, kernel: Opt<IntList>, stride?: Opt<IntList>, padding?: Opt<IntList>) => Handle;
type Norm = (x: Handle, weight?: Opt<Handle>, bias?: Opt<Handle>, runningMean?: Opt<Handle>, runningVar?: Opt<Handle>,
  useInputStatsOrTraining?: boolean, momentum?: Opt<number>, eps?: Opt<number>) => Handle;

export interface NativeBinding {
  // ---- runtime.cpp --------------------------------------------------------------------------
  /** 1..1024 intra-op threads. */
  setThreads(n: number): void;
  config(): NativeConfig;
  /** Waits for queued CUDA work; a no-op without CUDA. */
  cudaSynchronize(device?: Opt<number>): void;
  /** The CUDA caching allocator's bytes (UNSUPPORTED without a CUDA libtorch); `resetPeak` starts a new peak. */
  cudaMemory(device?: Opt<number>, resetPeak?: boolean): { allocated: number; reserved: number; peakAllocated: number };
  /** The class every native failure is thrown as: `new ctor(message, code)`. */
  setErrorClass(ctor: new (message: string, code: 'TORCH_ERROR' | 'OUT_OF_MEMORY' | 'DISPOSED' | 'INVALID_ARGUMENT' | 'UNSUPPORTED' | 'DIST_ERROR') => Error): void;
  /** Raises one kind of native failure on purpose (tests). */
  raiseForTest(kind: 'bad_alloc' | 'c10' | 'std' | 'oom'): never;

  // ---- autocast.cpp ----------------------------------------------------------------------------
  /** Turns libtorch's autocast on for this thread (one nesting level deeper); returns the state before. */
  autocastEnter(device: 'cpu' | 'cuda', dtype: 'bfloat16' | 'float16'): NativeAutocastState;
  /** Restores `previous`; leaving the outermost level clears the cache of casted weights. */
  autocastExit(device: 'cpu' | 'cuda', previous: NativeAutocastState): void;
  /** GradScaler's unscale kernel (CUDA): grads *= invScale in place; foundInf = 1 if any is inf/NaN. */
  ampUnscale(grads: Handle[], foundInf: Handle, invScale: Handle): void;
  /** GradScaler's update kernel (CUDA), in place on scale and growthTracker. */
  ampUpdateScale(scale: Handle, growthTracker: Handle, foundInf: Handle, growthFactor: number, backoffFactor: number, growthInterval: number): void;

  // ---- distributed.cpp: c10d (TCPStore + Gloo); every collective blocks until done or timed out ----
  /** 'gloo' where the addon was built with c10d's Gloo backend, '' otherwise. */
  distBackends(): string;
  distInit(options: NativeGroupOptions): ProcessGroupHandle;
  /** In place; every rank ends with the reduction. */
  distAllreduce(group: ProcessGroupHandle, t: Handle, op?: 'sum' | 'max' | 'min'): void;
  /** In place; every rank ends with root's values. */
  distBroadcast(group: ProcessGroupHandle, t: Handle, root: number): void;
  /** Every rank's tensor (same shape on each), in rank order. */
  distAllgather(group: ProcessGroupHandle, t: Handle): Handle[];
  distBarrier(group: ProcessGroupHandle): void;
  distDestroy(group: ProcessGroupHandle): void;

  // ---- tensor_ops.cpp: creation, data transfer, lifetime, conversion ---------------------------
  newGenerator(seed: number): GeneratorHandle;
  manualSeed(seed: number): void;
  /** Copies `numel(shape) * elementSize(dtype)` bytes (exactly) into a new tensor. dtype default float32. */
  fromBuffer(data: NativeBuffer, shape: IntList, dtype?: Opt<NativeDType>, device?: Opt<NativeDevice>): Handle;
  /** The contiguous CPU data in the tensor's dtype. */
  toBuffer(t: Handle): ArrayBuffer;
  /** The value of a one-element tensor (a bool tensor gives a boolean). */
  item(t: Handle): number | boolean;
  zeros: Create;
  ones: Create;
  empty: Create;
  full(shape: IntList, value: NativeScalar, dtype?: Opt<NativeDType>, device?: Opt<NativeDevice>): Handle;
  /** dtype default int64. */
  arange(start: number, end: number, step: number, dtype?: Opt<NativeDType>, device?: Opt<NativeDevice>): Handle;
  linspace(start: number, end: number, steps: number, dtype?: Opt<NativeDType>, device?: Opt<NativeDevice>): Handle;
  /** Drawn on the CPU from the generator (or the default one), then moved. */
  randn: Draw;
  rand: Draw;
  /** int64 on the CPU, uniform in [low, high). */
  randint(low: number, high: number, shape: IntList, generator?: Opt<GeneratorHandle>): Handle;
  /** Fills `t` in place from N(mean, std^2); returns `t`. */
  normal_(t: Handle, mean: number, std: number, generator?: Opt<GeneratorHandle>): Handle;
  info(t: Handle): NativeTensorInfo;
  shape(t: Handle): number[];
  /** Frees the tensor now; accepts an already disposed handle. */
  dispose(t: Handle): void;
  isDisposed(t: Handle): boolean;
  /** Whether tensors made from now on report their memory to V8 (default true). */
  setExternalReporting(on?: boolean): void;
  /** This tensor now reports its memory to V8 (it left scope control). */
  reportExternal(t: Handle): void;
  /** The bytes this tensor reported to V8. */
  externalBytes(t: Handle): number;
  /** Tensors alive in this thread. */
  liveTensorCount(): number;
  to(t: Handle, dtype?: Opt<NativeDType>, device?: Opt<NativeDevice>, copy?: boolean): Handle;
  clone: Unary;
  contiguous: Unary;
  isContiguous(t: Handle): boolean;

  // ---- math_ops.cpp: elementwise, comparisons, reductions, in place ------------------------------
  neg: Unary; exp: Unary; log: Unary; log1p: Unary; sqrt: Unary; rsqrt: Unary; abs: Unary; sign: Unary; square: Unary;
  reciprocal: Unary; sin: Unary; cos: Unary; tanh: Unary; floor: Unary; ceil: Unary; round: Unary; logicalNot: Unary;
  isnan: Unary; isfinite: Unary;
  add(a: Handle, other: Handle | NativeScalar, alpha?: Opt<NativeScalar>): Handle;
  sub(a: Handle, other: Handle | NativeScalar, alpha?: Opt<NativeScalar>): Handle;
  /** other - a */
  rsub(a: Handle, other: NativeScalar): Handle;
  /** other / a */
  rdiv(a: Handle, other: NativeScalar): Handle;
  mul: BinaryScalar; div: BinaryScalar; pow: BinaryScalar; remainder: BinaryScalar;
  eq: BinaryScalar; ne: BinaryScalar; lt: BinaryScalar; le: BinaryScalar; gt: BinaryScalar; ge: BinaryScalar;
  maximum: BinaryTensors; minimum: BinaryTensors; logicalAnd: BinaryTensors; logicalOr: BinaryTensors; matmul: BinaryTensors;
  /** cond ? a : b; at most one of a, b a number (it takes PyTorch's promoted type with the other). */
  where(cond: Handle, a: Handle | NativeScalar, b: Handle | NativeScalar): Handle;
  /** At least one bound. */
  clamp(t: Handle, min?: Opt<NativeScalar>, max?: Opt<NativeScalar>): Handle;
  sum(t: Handle, dims?: Opt<IntList>, keepdim?: boolean, dtype?: Opt<NativeDType>): Handle;
  mean: Reduce;
  /** correction default 1 (Bessel). */
  var: VarStd;
  std: VarStd;
  amax: Reduce;
  amin: Reduce;
  maxDim: ValuesIndices;
  minDim: ValuesIndices;
  argmax: ArgReduce;
  argmin: ArgReduce;
  /** Vector p-norm (p default 2) over dims (all when omitted). */
  norm(t: Handle, p?: Opt<number>, dims?: Opt<IntList>, keepdim?: boolean): Handle;
  any: Unary;
  all: Unary;
  cumsum(t: Handle, dim: number): Handle;
  /** The in-place ops return `t`. */
  add_(t: Handle, other: Handle | NativeScalar, alpha?: Opt<NativeScalar>): Handle;
  mul_: BinaryScalar;
  div_: BinaryScalar;
  /** t += value * a * b */
  addcmul_(t: Handle, a: Handle, b: Handle, value: NativeScalar): Handle;
  /** t += value * a / b */
  addcdiv_(t: Handle, a: Handle, b: Handle, value: NativeScalar): Handle;
  /** t += weight * (end - t) */
  lerp_(t: Handle, end: Handle, weight: NativeScalar): Handle;
  copy_(t: Handle, src: Handle): Handle;
  zero_: Unary;
  fill_(t: Handle, value: NativeScalar): Handle;
  sqrt_: Unary;

  // ---- shape_ops.cpp: views, joining, slicing, indexing, padding --------------------------------
  reshape(t: Handle, shape: IntList): Handle;
  view(t: Handle, shape: IntList): Handle;
  permute(t: Handle, dims: IntList): Handle;
  transpose(t: Handle, dim0: number, dim1: number): Handle;
  flip(t: Handle, dims: IntList): Handle;
  expand(t: Handle, shape: IntList): Handle;
  repeat(t: Handle, repeats: IntList): Handle;
  unsqueeze(t: Handle, dim: number): Handle;
  /** Every size-1 dim when dim is omitted. */
  squeeze(t: Handle, dim?: Opt<number>): Handle;
  flatten(t: Handle, startDim?: Opt<number>, endDim?: Opt<number>): Handle;
  cat(tensors: readonly Handle[], dim: number): Handle;
  stack(tensors: readonly Handle[], dim: number): Handle;
  /** Python slice semantics along dim (negative indices allowed); step default 1. */
  slice(t: Handle, dim: number, start?: Opt<number>, end?: Opt<number>, step?: Opt<number>): Handle;
  narrow(t: Handle, dim: number, start: number, length: number): Handle;
  select(t: Handle, dim: number, index: number): Handle;
  indexSelect(t: Handle, dim: number, index: Handle): Handle;
  gather(t: Handle, dim: number, index: Handle): Handle;
  /** Indices of the non-zero elements, [n, rank]. */
  nonzero: Unary;
  maskedFill(t: Handle, mask: Handle, value: NativeScalar): Handle;
  maskedSelect(t: Handle, mask: Handle): Handle;
  /** pads: (before, after) pairs from the last dim, like torch.nn.functional.pad; reflect/replicate pad 1-3 dims. */
  pad(t: Handle, pads: IntList, mode?: Opt<PadMode>, value?: Opt<number>): Handle;

  // ---- nn_ops.cpp: convolution, normalisation, activations, resampling, pooling, losses ----------
  conv3d(x: Handle, weight: Handle, bias?: Opt<Handle>, stride?: Opt<IntList>, padding?: Opt<IntList>, dilation?: Opt<IntList>,
    groups?: Opt<number>): Handle;
  convTranspose3d(x: Handle, weight: Handle, bias?: Opt<Handle>, stride?: Opt<IntList>, padding?: Opt<IntList>,
    outputPadding?: Opt<IntList>, groups?: Opt<number>, dilation?: Opt<IntList>): Handle;
  /** The 6th argument is useInputStats (default true). */
  instanceNorm: Norm;
  /** The 6th argument is training (default true). */
  batchNorm: Norm;
  leakyRelu(x: Handle, slope?: Opt<number>): Handle;
  relu: Unary;
  sigmoid: Unary;
  softmax(x: Handle, dim: number): Handle;
  logSoftmax(x: Handle, dim: number): Handle;
  /** Exactly one of size and scaleFactor; x is [N, C, ...] with 1-3 spatial dims matching the mode. */
  interpolate(x: Handle, size: Opt<IntList>, scaleFactor: Opt<number | readonly number[]>, mode: InterpolateMode,
    alignCorners?: boolean): Handle;
  /** stride defaults to the kernel. */
  avgPool3d: Pool;
  maxPool3d: Pool;
  /** theta [N, 3, 4], size [N, C, D, H, W] -> grid [N, D, H, W, 3]. */
  affineGrid(theta: Handle, size: IntList, alignCorners?: boolean): Handle;
  gridSample(x: Handle, grid: Handle, mode?: Opt<GridSampleMode>, paddingMode?: Opt<GridSamplePadding>, alignCorners?: boolean): Handle;
  crossEntropy(logits: Handle, target: Handle, weight?: Opt<Handle>, ignoreIndex?: Opt<number>, reduction?: Opt<Reduction>,
    labelSmoothing?: Opt<number>): Handle;
  bceWithLogits(logits: Handle, target: Handle, weight?: Opt<Handle>, posWeight?: Opt<Handle>, reduction?: Opt<Reduction>): Handle;
  mseLoss(a: Handle, b: Handle, reduction?: Opt<Reduction>): Handle;
  cosineSimilarity(a: Handle, b: Handle, dim?: Opt<number>, eps?: Opt<number>): Handle;
  /** int64 labels -> int64 one-hot, classes as the new last dim (numClasses -1: max + 1). */
  oneHot(labels: Handle, numClasses?: Opt<number>): Handle;

  // ---- autograd_ops.cpp ---------------------------------------------------------------------------
  requiresGrad(t: Handle): boolean;
  /** Returns `t`. */
  setRequiresGrad(t: Handle, on?: boolean): Handle;
  isLeaf(t: Handle): boolean;
  retainGrad(t: Handle): Handle;
  /** A new handle sharing the gradient's storage, or null. */
  grad(t: Handle): Handle | null;
  /** null clears the gradient; otherwise shape, dtype and device must match. */
  setGrad(t: Handle, g: Opt<Handle>): void;
  backward(t: Handle, gradient?: Opt<Handle>, retainGraph?: boolean): void;
  detach: Unary;
  /** t takes src's data, keeping its identity (`p.data = src`); returns `t`. */
  setData(t: Handle, src: Handle): Handle;
  isGradEnabled(): boolean;
  setGradEnabled(on?: boolean): void;
  /** Runs fn synchronously under c10::InferenceMode and returns its result. */
  withInferenceMode<T>(fn: () => T): T;
  isInferenceMode(): boolean;
}

/**
 * Every name of the interface, at run time (a test compares it with the addon's exports). The
 * `satisfies` makes a name missing here, or one the interface lacks, a compile error.
 */
const names = {
  setThreads: 1, config: 1, cudaSynchronize: 1, cudaMemory: 1, setErrorClass: 1, raiseForTest: 1,
  autocastEnter: 1, autocastExit: 1, ampUnscale: 1, ampUpdateScale: 1,
  distBackends: 1, distInit: 1, distAllreduce: 1, distBroadcast: 1, distAllgather: 1, distBarrier: 1, distDestroy: 1,
  newGenerator: 1, manualSeed: 1, fromBuffer: 1, toBuffer: 1, item: 1, zeros: 1, ones: 1, empty: 1, full: 1, arange: 1,
  linspace: 1, randn: 1, rand: 1, randint: 1, normal_: 1, info: 1, shape: 1, dispose: 1, isDisposed: 1,
  setExternalReporting: 1, reportExternal: 1, externalBytes: 1, liveTensorCount: 1, to: 1, clone: 1, contiguous: 1,
  isContiguous: 1,
  neg: 1, exp: 1, log: 1, log1p: 1, sqrt: 1, rsqrt: 1, abs: 1, sign: 1, square: 1, reciprocal: 1, sin: 1, cos: 1, tanh: 1,
  floor: 1, ceil: 1, round: 1, logicalNot: 1, isnan: 1, isfinite: 1, add: 1, sub: 1, rsub: 1, rdiv: 1, mul: 1, div: 1, pow: 1,
  remainder: 1, eq: 1, ne: 1, lt: 1, le: 1, gt: 1, ge: 1, maximum: 1, minimum: 1, logicalAnd: 1, logicalOr: 1, matmul: 1,
  where: 1, clamp: 1, sum: 1, mean: 1, var: 1, std: 1, amax: 1, amin: 1, maxDim: 1, minDim: 1, argmax: 1, argmin: 1, norm: 1,
  any: 1, all: 1, cumsum: 1, add_: 1, mul_: 1, div_: 1, addcmul_: 1, addcdiv_: 1, lerp_: 1, copy_: 1, zero_: 1, fill_: 1,
  sqrt_: 1,
  reshape: 1, view: 1, permute: 1, transpose: 1, flip: 1, expand: 1, repeat: 1, unsqueeze: 1, squeeze: 1, flatten: 1, cat: 1,
  stack: 1, slice: 1, narrow: 1, select: 1, indexSelect: 1, gather: 1, nonzero: 1, maskedFill: 1, maskedSelect: 1, pad: 1,
  conv3d: 1, convTranspose3d: 1, instanceNorm: 1, batchNorm: 1, leakyRelu: 1, relu: 1, sigmoid: 1, softmax: 1, logSoftmax: 1,
  interpolate: 1, avgPool3d: 1, maxPool3d: 1, affineGrid: 1, gridSample: 1, crossEntropy: 1, bceWithLogits: 1, mseLoss: 1,
  cosineSimilarity: 1, oneHot: 1,
  requiresGrad: 1, setRequiresGrad: 1, isLeaf: 1, retainGrad: 1, grad: 1, setGrad: 1, backward: 1, detach: 1, setData: 1,
  isGradEnabled: 1, setGradEnabled: 1, withInferenceMode: 1, isInferenceMode: 1,
} as const satisfies Record<keyof NativeBinding, 1>;

export const NATIVE_BINDING_NAMES = Object.keys(names) as (keyof NativeBinding)[];
