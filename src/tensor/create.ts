/** Creating tensors: from data, constant fills, ranges and seeded random draws. */
import { native, type GeneratorHandle } from './native.js';
import { Tensor, type Device, type Scalar } from './tensor.js';
import { type DType, type TypedArray, dtypeOfArray } from './dtype.js';

export interface CreateOptions { dtype?: DType; device?: Device }

/**
 * A seeded random stream. Random tensors are drawn on the CPU and then moved, so a seed gives
 * the same numbers on every device, and streams with different seeds never interfere.
 */
export class Generator {
  readonly handle: GeneratorHandle;
  constructor(readonly seed: number) {
    this.handle = native.newGenerator(seed);
  }
}

/** Seeds the default generator (used when no Generator is passed). */
export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}

function checkShape(shape: number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`invalid shape [${shape}]: sizes must be non-negative integers`);
    n *= d;
  }
  return n;
}

const arrayFor: Partial<Record<DType, new (n: number | ArrayLike<number>) => TypedArray>> = {
  float32: Float32Array, float64: Float64Array, int32: Int32Array, int16: Int16Array, int8: Int8Array, uint8: Uint8Array, bool: Uint8Array,
};

/**
 * A tensor from data. A typed array keeps its dtype unless one is given; plain numbers become
 * float32. `shape` defaults to 1-D.
 */
export function tensor(data: TypedArray | number[] | boolean[], shape?: number[], opts: CreateOptions = {}): Tensor {
  const n = data.length;
  const dims = shape ?? [n];
  if (checkShape(dims) !== n) throw new RangeError(`tensor: ${n} values do not fill shape [${dims}]`);
  let array: TypedArray;
  let dtype: DType;
  if (Array.isArray(data)) {
    dtype = opts.dtype ?? (typeof data[0] === 'boolean' ? 'bool' : 'float32');
    if (dtype === 'int64') array = BigInt64Array.from(data as number[], (v) => BigInt(Math.trunc(Number(v))));
    else if (dtype === 'float16' || dtype === 'bfloat16') {
      const wide = tensor(data, dims, { dtype: 'float32', device: opts.device });
      try { return wide.to(dtype); } finally { wide.dispose(); }
    } else if (dtype === 'bool') array = Uint8Array.from(data as ArrayLike<number | boolean>, (v) => (v ? 1 : 0));
    else array = new arrayFor[dtype]!((data as number[]).map(Number));
  } else {
    array = data;
    dtype = dtypeOfArray(data);
    if (opts.dtype && opts.dtype !== dtype) {
      const raw = new Tensor(native.fromBuffer(array, dims, dtype, opts.device));
      try { return raw.to(opts.dtype); } finally { raw.dispose(); }
    }
  }
  return new Tensor(native.fromBuffer(array, dims, dtype, opts.device));
}

/** A tensor from raw little-endian bytes of `dtype` (half types included). */
export function fromBytes(bytes: Uint8Array, shape: number[], dtype: DType, device?: Device): Tensor {
  checkShape(shape);
  return new Tensor(native.fromBuffer(bytes, shape, dtype, device));
}

export function scalar(v: number, opts: CreateOptions = {}): Tensor {
  return full([], v, opts);
}
export function zeros(shape: number[], opts: CreateOptions = {}): Tensor {
  checkShape(shape);
  return new Tensor(native.zeros(shape, opts.dtype, opts.device));
}
export function ones(shape: number[], opts: CreateOptions = {}): Tensor {
  checkShape(shape);
  return new Tensor(native.ones(shape, opts.dtype, opts.device));
}
export function empty(shape: number[], opts: CreateOptions = {}): Tensor {
  checkShape(shape);
  return new Tensor(native.empty(shape, opts.dtype, opts.device));
}
export function full(shape: number[], value: Scalar, opts: CreateOptions = {}): Tensor {
  checkShape(shape);
  return new Tensor(native.full(shape, value, opts.dtype, opts.device));
}
export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape, { dtype: t.dtype, device: t.device });
}
export function onesLike(t: Tensor): Tensor {
  return ones(t.shape, { dtype: t.dtype, device: t.device });
}
/** `[start, end)` in steps; int64 unless a dtype is given, like torch.arange with integers. */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  const integral = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step);
  return new Tensor(native.arange(start, end, step, opts.dtype ?? (integral ? 'int64' : 'float32'), opts.device));
}
export function linspace(start: number, end: number, steps: number, opts: CreateOptions = {}): Tensor {
  return new Tensor(native.linspace(start, end, steps, opts.dtype, opts.device));
}
export function randn(shape: number[], opts: CreateOptions & { generator?: Generator } = {}): Tensor {
  checkShape(shape);
  return new Tensor(native.randn(shape, opts.dtype, opts.device, opts.generator?.handle));
}
export function rand(shape: number[], opts: CreateOptions & { generator?: Generator } = {}): Tensor {
  checkShape(shape);
  return new Tensor(native.rand(shape, opts.dtype, opts.device, opts.generator?.handle));
}
/** Integers uniformly in `[low, high)`, int64 on the CPU. */
export function randint(low: number, high: number, shape: number[], generator?: Generator): Tensor {
  checkShape(shape);
  return new Tensor(native.randint(low, high, shape, generator?.handle));
}
/** Fills `t` in place from N(mean, std^2) (weight initialisation). */
export function normal_(t: Tensor, mean: number, std: number, generator?: Generator): Tensor {
  native.normal_(t.handle, mean, std, generator?.handle);
  return t;
}

export function cat(tensors: Tensor[], dim = 0): Tensor {
  return new Tensor(native.cat(tensors.map((t) => t.handle), dim));
}
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return new Tensor(native.stack(tensors.map((t) => t.handle), dim));
}
/** Elementwise `cond ? a : b`; a number takes the other operand's dtype. */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  return new Tensor(native.where(cond.handle, a instanceof Tensor ? a.handle : a, b instanceof Tensor ? b.handle : b));
}
