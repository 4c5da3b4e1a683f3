/**
 * Tensor: a handle to a libtorch tensor with autograd. Ops return new tensors owned by the
 * current `tidy` scope; methods ending in `_` work in place and return `this`.
 */
import { native, type Handle } from './native.js';
import { track, keep as keepTensor, setScopeActivityListener } from './scope.js';
import { TorchError } from './errors.js';
import { type ArrayFor, type DType, type TypedArray, viewBytes } from './dtype.js';

export type Scalar = number | boolean;
export type TensorOrScalar = Tensor | Scalar;
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

setScopeActivityListener((active) => native.setExternalReporting(!active));

const arg = (v: TensorOrScalar): Handle | Scalar => (v instanceof Tensor ? v.handle : v);

export class Tensor {
  private _handle: Handle | null;
  private _shape: number[] | undefined;

  /** Wraps a native handle; use the creation functions (`tensor`, `zeros`, ...) instead. */
  constructor(handle: Handle) {
    this._handle = handle;
    track(this);
  }

  get handle(): Handle {
    if (this._handle === null) throw new TorchError('tensor was used after dispose()', 'DISPOSED');
    return this._handle;
  }

  // ---- identity -------------------------------------------------------------------------
  get shape(): number[] {
    return (this._shape ??= native.shape(this.handle)).slice();
  }
  get rank(): number { return this.shape.length; }
  /** Number of elements (torch: `numel()`; torch's `size()` is the shape). */
  get numel(): number { return this.shape.reduce((a, b) => a * b, 1); }
  get dtype(): DType { return native.info(this.handle).dtype as DType; }
  get device(): Device { return native.info(this.handle).device as Device; }
  get isDisposed(): boolean { return this._handle === null; }

  dispose(): void {
    if (this._handle === null) return;
    native.dispose(this._handle);
    this._handle = null;
  }
  /** Internal (scope.ts): the tensor now outlives every scope, so V8 must know its memory. */
  unscoped(): void {
    if (this._handle !== null) native.reportExternal(this._handle);
  }
  /** Exempts this tensor from scope cleanup (it lives until `dispose()`). */
  keep(): this { return keepTensor(this); }

  toString(): string { return this.isDisposed ? 'Tensor(disposed)' : `Tensor(shape=[${this.shape}], dtype=${this.dtype}, device=${this.device})`; }

  // ---- data out -------------------------------------------------------------------------
  /** A copy of the data as a typed array (float16/bfloat16 come back as float32). */
  toTypedArray<D extends DType = DType>(): ArrayFor<D> {
    const d = this.dtype;
    if (d === 'float16' || d === 'bfloat16') return this.to('float32').toTypedArrayAndDispose() as ArrayFor<D>;
    return viewBytes(native.toBuffer(this.handle), d) as ArrayFor<D>;
  }
  private toTypedArrayAndDispose(): TypedArray {
    try { return this.toTypedArray(); } finally { this.dispose(); }
  }
  /** The data as plain numbers (int64 values beyond 2^53 lose precision). */
  toArray(): number[] {
    const a = this.toTypedArray();
    return a instanceof BigInt64Array ? Array.from(a, Number) : Array.from(a as ArrayLike<number>);
  }
  /** The raw little-endian bytes (for safetensors). */
  toBytes(): Uint8Array { return new Uint8Array(native.toBuffer(this.handle)); }
  item(): number { return Number(native.item(this.handle)); }

  // ---- conversion -----------------------------------------------------------------------
  to(dtype?: DType, device?: Device): Tensor { return new Tensor(native.to(this.handle, dtype, device, false)); }
  toDevice(device: Device): Tensor { return new Tensor(native.to(this.handle, undefined, device, false)); }
  float(): Tensor { return this.to('float32'); }
  double(): Tensor { return this.to('float64'); }
  long(): Tensor { return this.to('int64'); }
  clone(): Tensor { return new Tensor(native.clone(this.handle)); }
  contiguous(): Tensor { return new Tensor(native.contiguous(this.handle)); }
  get isContiguous(): boolean { return native.isContiguous(this.handle); }

  // ---- autograd -------------------------------------------------------------------------
  get requiresGrad(): boolean { return native.requiresGrad(this.handle); }
  requiresGrad_(on = true): this { native.setRequiresGrad(this.handle, on); return this; }
  get isLeaf(): boolean { return native.isLeaf(this.handle); }
  /** The accumulated gradient (a new handle sharing its storage), or null. */
  get grad(): Tensor | null {
    const g = native.grad(this.handle);
    return g === null ? null : new Tensor(g);
  }
  set grad(g: Tensor | null) { native.setGrad(this.handle, g === null ? null : g.handle); }
  retainGrad(): this { native.retainGrad(this.handle); return this; }
  backward(gradient?: Tensor, retainGraph = false): void { native.backward(this.handle, gradient?.handle, retainGraph); }
  detach(): Tensor { return new Tensor(native.detach(this.handle)); }
  /** Takes `src`'s data while keeping this tensor's identity (PyTorch's `t.data = src`). */
  setData_(src: Tensor): this { native.setData(this.handle, src.handle); this._shape = undefined; return this; }

  // ---- elementwise ----------------------------------------------------------------------
  add(o: TensorOrScalar, alpha?: number): Tensor { return new Tensor(native.add(this.handle, arg(o), alpha)); }
  sub(o: TensorOrScalar, alpha?: number): Tensor { return new Tensor(native.sub(this.handle, arg(o), alpha)); }
  /** `s - this` */
  rsub(s: number): Tensor { return new Tensor(native.rsub(this.handle, s)); }
  /** `s / this` */
  rdiv(s: number): Tensor { return new Tensor(native.rdiv(this.handle, s)); }
  mul(o: TensorOrScalar): Tensor { return new Tensor(native.mul(this.handle, arg(o))); }
  div(o: TensorOrScalar): Tensor { return new Tensor(native.div(this.handle, arg(o))); }
  pow(o: TensorOrScalar): Tensor { return new Tensor(native.pow(this.handle, arg(o))); }
  remainder(o: TensorOrScalar): Tensor { return new Tensor(native.remainder(this.handle, arg(o))); }
  maximum(o: Tensor): Tensor { return new Tensor(native.maximum(this.handle, o.handle)); }
  minimum(o: Tensor): Tensor { return new Tensor(native.minimum(this.handle, o.handle)); }
  eq(o: TensorOrScalar): Tensor { return new Tensor(native.eq(this.handle, arg(o))); }
  ne(o: TensorOrScalar): Tensor { return new Tensor(native.ne(this.handle, arg(o))); }
  lt(o: TensorOrScalar): Tensor { return new Tensor(native.lt(this.handle, arg(o))); }
  le(o: TensorOrScalar): Tensor { return new Tensor(native.le(this.handle, arg(o))); }
  gt(o: TensorOrScalar): Tensor { return new Tensor(native.gt(this.handle, arg(o))); }
  ge(o: TensorOrScalar): Tensor { return new Tensor(native.ge(this.handle, arg(o))); }
  logicalAnd(o: Tensor): Tensor { return new Tensor(native.logicalAnd(this.handle, o.handle)); }
  logicalOr(o: Tensor): Tensor { return new Tensor(native.logicalOr(this.handle, o.handle)); }
  logicalNot(): Tensor { return new Tensor(native.logicalNot(this.handle)); }
  neg(): Tensor { return new Tensor(native.neg(this.handle)); }
  exp(): Tensor { return new Tensor(native.exp(this.handle)); }
  log(): Tensor { return new Tensor(native.log(this.handle)); }
  log1p(): Tensor { return new Tensor(native.log1p(this.handle)); }
  sqrt(): Tensor { return new Tensor(native.sqrt(this.handle)); }
  rsqrt(): Tensor { return new Tensor(native.rsqrt(this.handle)); }
  abs(): Tensor { return new Tensor(native.abs(this.handle)); }
  sign(): Tensor { return new Tensor(native.sign(this.handle)); }
  square(): Tensor { return new Tensor(native.square(this.handle)); }
  reciprocal(): Tensor { return new Tensor(native.reciprocal(this.handle)); }
  sin(): Tensor { return new Tensor(native.sin(this.handle)); }
  cos(): Tensor { return new Tensor(native.cos(this.handle)); }
  tanh(): Tensor { return new Tensor(native.tanh(this.handle)); }
  floor(): Tensor { return new Tensor(native.floor(this.handle)); }
  ceil(): Tensor { return new Tensor(native.ceil(this.handle)); }
  round(): Tensor { return new Tensor(native.round(this.handle)); }
  isnan(): Tensor { return new Tensor(native.isnan(this.handle)); }
  isfinite(): Tensor { return new Tensor(native.isfinite(this.handle)); }
  clamp(min?: number, max?: number): Tensor { return new Tensor(native.clamp(this.handle, min, max)); }
  relu(): Tensor { return new Tensor(native.relu(this.handle)); }
  leakyRelu(slope = 0.01): Tensor { return new Tensor(native.leakyRelu(this.handle, slope)); }
  sigmoid(): Tensor { return new Tensor(native.sigmoid(this.handle)); }
  softmax(dim: number): Tensor { return new Tensor(native.softmax(this.handle, dim)); }
  logSoftmax(dim: number): Tensor { return new Tensor(native.logSoftmax(this.handle, dim)); }
  matmul(o: Tensor): Tensor { return new Tensor(native.matmul(this.handle, o.handle)); }
  maskedFill(mask: Tensor, value: number): Tensor { return new Tensor(native.maskedFill(this.handle, mask.handle, value)); }

  // ---- reductions -----------------------------------------------------------------------
  sum(dims?: number | number[], keepdim = false, dtype?: DType): Tensor { return new Tensor(native.sum(this.handle, dims, keepdim, dtype)); }
  mean(dims?: number | number[], keepdim = false): Tensor { return new Tensor(native.mean(this.handle, dims, keepdim)); }
  /** Variance with Bessel's correction by default (correction 1), like torch.var. */
  var(dims?: number | number[], correction = 1, keepdim = false): Tensor { return new Tensor(native.var(this.handle, dims, correction, keepdim)); }
  std(dims?: number | number[], correction = 1, keepdim = false): Tensor { return new Tensor(native.std(this.handle, dims, correction, keepdim)); }
  /** Maximum over `dims` (all when omitted). */
  max(dims?: number | number[], keepdim = false): Tensor { return new Tensor(native.amax(this.handle, dims, keepdim)); }
  min(dims?: number | number[], keepdim = false): Tensor { return new Tensor(native.amin(this.handle, dims, keepdim)); }
  /** Maximum along one dim with its indices, like torch.max(t, dim). */
  maxWithIndices(dim: number, keepdim = false): [Tensor, Tensor] {
    const [v, i] = native.maxDim(this.handle, dim, keepdim);
    return [new Tensor(v), new Tensor(i)];
  }
  minWithIndices(dim: number, keepdim = false): [Tensor, Tensor] {
    const [v, i] = native.minDim(this.handle, dim, keepdim);
    return [new Tensor(v), new Tensor(i)];
  }
  argmax(dim?: number, keepdim = false): Tensor { return new Tensor(native.argmax(this.handle, dim, keepdim)); }
  argmin(dim?: number, keepdim = false): Tensor { return new Tensor(native.argmin(this.handle, dim, keepdim)); }
  /** Vector p-norm over `dims` (all when omitted). */
  norm(p = 2, dims?: number | number[], keepdim = false): Tensor { return new Tensor(native.norm(this.handle, p, dims, keepdim)); }
  any(): Tensor { return new Tensor(native.any(this.handle)); }
  all(): Tensor { return new Tensor(native.all(this.handle)); }
  cumsum(dim: number): Tensor { return new Tensor(native.cumsum(this.handle, dim)); }

  // ---- shape ----------------------------------------------------------------------------
  reshape(shape: number[]): Tensor { return new Tensor(native.reshape(this.handle, shape)); }
  view(shape: number[]): Tensor { return new Tensor(native.view(this.handle, shape)); }
  permute(dims: number[]): Tensor { return new Tensor(native.permute(this.handle, dims)); }
  transpose(d0: number, d1: number): Tensor { return new Tensor(native.transpose(this.handle, d0, d1)); }
  flip(dims: number[]): Tensor { return new Tensor(native.flip(this.handle, dims)); }
  expand(shape: number[]): Tensor { return new Tensor(native.expand(this.handle, shape)); }
  repeat(repeats: number[]): Tensor { return new Tensor(native.repeat(this.handle, repeats)); }
  squeeze(dim?: number): Tensor { return new Tensor(native.squeeze(this.handle, dim)); }
  unsqueeze(dim: number): Tensor { return new Tensor(native.unsqueeze(this.handle, dim)); }
  flatten(startDim = 0, endDim = -1): Tensor { return new Tensor(native.flatten(this.handle, startDim, endDim)); }
  /** Python-style slice along `dim`: `t[..., start:end:step]`. */
  slice(dim: number, start?: number, end?: number, step = 1): Tensor { return new Tensor(native.slice(this.handle, dim, start, end, step)); }
  narrow(dim: number, start: number, length: number): Tensor { return new Tensor(native.narrow(this.handle, dim, start, length)); }
  select(dim: number, index: number): Tensor { return new Tensor(native.select(this.handle, dim, index)); }
  indexSelect(dim: number, index: Tensor): Tensor { return new Tensor(native.indexSelect(this.handle, dim, index.handle)); }
  gather(dim: number, index: Tensor): Tensor { return new Tensor(native.gather(this.handle, dim, index.handle)); }
  maskedSelect(mask: Tensor): Tensor { return new Tensor(native.maskedSelect(this.handle, mask.handle)); }
  /** Indices of non-zero elements, shape [n, rank]. */
  nonzero(): Tensor { return new Tensor(native.nonzero(this.handle)); }

  // ---- in place -------------------------------------------------------------------------
  add_(o: TensorOrScalar, alpha?: number): this { native.add_(this.handle, arg(o), alpha); return this; }
  mul_(o: TensorOrScalar): this { native.mul_(this.handle, arg(o)); return this; }
  div_(o: TensorOrScalar): this { native.div_(this.handle, arg(o)); return this; }
  addcmul_(a: Tensor, b: Tensor, value = 1): this { native.addcmul_(this.handle, a.handle, b.handle, value); return this; }
  addcdiv_(a: Tensor, b: Tensor, value = 1): this { native.addcdiv_(this.handle, a.handle, b.handle, value); return this; }
  lerp_(end: Tensor, weight: number): this { native.lerp_(this.handle, end.handle, weight); return this; }
  copy_(src: Tensor): this { native.copy_(this.handle, src.handle); return this; }
  zero_(): this { native.zero_(this.handle); return this; }
  fill_(v: Scalar): this { native.fill_(this.handle, v); return this; }
  sqrt_(): this { native.sqrt_(this.handle); return this; }
}
