/**
 * Module: named parameters, buffers and child modules, like torch.nn.Module. Parameters and
 * buffers live outside memory scopes (they are `keep`-ed) and are freed by `dispose()`.
 */
import { Tensor, type Device, noGrad, tidy } from '../tensor/index.js';
import type { OnnxGraphBuilder } from '../util/onnx_graph.js';

/**
 * `In` is the tuple of forward's arguments and `Out` what it returns: a network with deep
 * supervision returns several tensors, a block may take two. Subclasses keep their children as
 * typed fields (`this.conv = this.registerModule('conv', new Conv3d(...))`): registration gives
 * names to parameters and safetensors keys, the field gives the type.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModule = Module<any, any>;

export abstract class Module<In extends unknown[] = [Tensor], Out = Tensor> {
  training = true;
  private readonly _params = new Map<string, Tensor>();
  private readonly _buffers = new Map<string, Tensor>();
  private readonly _children = new Map<string, AnyModule>();

  abstract forward(...inputs: In): Out;

  /**
   * Writes forward's computation on the value `x` into an ONNX graph, inference mode (src/util/onnx_graph.ts);
   * returns the output's name. `name`: the module's dotted name, which names its values and weights.
   */
  exportOnnx(_g: OnnxGraphBuilder, _x: string, name: string): string {
    throw new Error(`${this.constructor.name} (${name || 'the network'}) has no ONNX export`);
  }

  /** A parameter as an ONNX weight named `<name>.<param>`. */
  protected onnxWeight(g: OnnxGraphBuilder, name: string, param: string): string {
    const p = this.param(param);
    return g.weight(`${name}.${param}`, [...p.shape], p.toTypedArray<'float32'>());
  }

  /** Registers a trainable tensor (taken out of scopes, gradients on). */
  protected registerParameter(name: string, t: Tensor): Tensor {
    checkName(name);
    this._params.set(name, t.keep().requiresGrad_(true));
    return t;
  }
  /** Registers a non-trainable tensor saved with the weights (e.g. running statistics). */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    checkName(name);
    this._buffers.set(name, t.keep());
    return t;
  }
  registerModule<M extends AnyModule>(name: string, m: M): M {
    checkName(name);
    this._children.set(name, m);
    return m;
  }
  /** Removes a child and frees its tensors (pruning deletes blocks this way). */
  deleteModule(name: string): void {
    const m = this._children.get(name);
    if (!m) throw new Error(`no child module '${name}'`);
    this._children.delete(name);
    m.dispose();
  }
  hasModule(name: string): boolean { return this._children.has(name); }
  namedChildren(): [string, AnyModule][] { return [...this._children]; }

  /** `[dotted.name, tensor]` for every parameter, depth first in registration order. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, p] of this._params) out.push([prefix + n, p]);
    for (const [n, m] of this._children) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }
  parameters(): Tensor[] { return this.namedParameters().map(([, p]) => p); }
  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, b] of this._buffers) out.push([prefix + n, b]);
    for (const [n, m] of this._children) out.push(...m.namedBuffers(`${prefix}${n}.`));
    return out;
  }
  /** Parameters and buffers by name: what is saved as weights. */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.numel, 0);
  }

  /**
   * Copies values into this module's tensors. strict: every key must match both ways.
   * A shape mismatch is always an error naming the key. Returns what did not match.
   */
  loadStateDict(state: Map<string, Tensor>, { strict = true } = {}): { missing: string[]; unexpected: string[] } {
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !state.has(k));
    const unexpected = [...state.keys()].filter((k) => !own.has(k));
    if (strict && (missing.length || unexpected.length)) {
      const parts = [];
      if (missing.length) parts.push(`missing key(s): ${missing.join(', ')}`);
      if (unexpected.length) parts.push(`unexpected key(s): ${unexpected.join(', ')}`);
      throw new Error(`loadStateDict: ${parts.join('; ')}`);
    }
    for (const [k, target] of own) {
      const src = state.get(k);
      if (!src) continue;
      if (src.shape.join() !== target.shape.join())
        throw new Error(`loadStateDict: shape mismatch for '${k}': checkpoint [${src.shape}] vs model [${target.shape}]`);
    }
    noGrad(() => {
      for (const [k, target] of own) {
        const src = state.get(k);
        if (src) target.copy_(src);
      }
    });
    return { missing, unexpected };
  }

  train(on = true): this {
    this.training = on;
    for (const m of this._children.values()) m.train(on);
    return this;
  }
  eval(): this { return this.train(false); }

  /**
   * Moves every parameter and buffer to `device` in place: each tensor keeps its identity, so an
   * optimiser built on the parameters stays valid (move its state with `optimizer.to(device)`).
   */
  to(device: Device): this {
    for (const t of [...this._params.values(), ...this._buffers.values()]) {
      if (t.device === device) continue;
      tidy(() => { t.setData_(noGrad(() => t.toDevice(device))); });
    }
    for (const m of this._children.values()) m.to(device);
    return this;
  }

  /** Gradients of all parameters set to none (cheaper than zero-filling). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  dispose(): void {
    for (const t of this._params.values()) t.dispose();
    for (const t of this._buffers.values()) t.dispose();
    for (const m of this._children.values()) m.dispose();
    this._params.clear();
    this._buffers.clear();
    this._children.clear();
  }

  /** Direct parameter access for subclasses' forward passes. */
  protected param(name: string): Tensor {
    const p = this._params.get(name);
    if (!p) throw new Error(`no parameter '${name}'`);
    return p;
  }
  protected maybeParam(name: string): Tensor | null { return this._params.get(name) ?? null; }
  protected buffer(name: string): Tensor | null { return this._buffers.get(name) ?? null; }
}

function checkName(name: string): void {
  if (!name || name.includes('.')) throw new Error(`invalid module/parameter name '${name}' (non-empty, no dots)`);
}
