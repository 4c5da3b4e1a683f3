/**
 * Optimiser base: a list of named parameters with per-parameter state tensors. Parameters are
 * named so that state survives saving/loading and pruning (which removes parameters mid-run).
 */
import { type Device, type SafetensorsFile, type Tensor, loadSafetensors, noGrad, saveSafetensors, tidy } from '../tensor/index.js';

export type NamedParameters = Iterable<[string, Tensor]>;

export abstract class Optimizer {
  lr: number;
  protected readonly params = new Map<string, Tensor>();
  /** state[name][slot], e.g. state.get('conv.weight').get('momentum_buffer') */
  protected readonly state = new Map<string, Map<string, Tensor>>();
  /** Per-parameter step counts (plain numbers: reading a device tensor each step would sync a GPU). */
  protected readonly counts = new Map<string, number>();
  stepCount = 0;

  constructor(params: NamedParameters, lr: number) {
    this.lr = lr;
    for (const [n, p] of params) {
      if (this.params.has(n)) throw new Error(`optimizer: duplicate parameter name '${n}'`);
      this.params.set(n, p);
    }
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    noGrad(() => {
      for (const [name, p] of this.params) {
        tidy(() => {
          const g = p.grad;
          if (g === null) return;
          this.update(name, p, g);
        });
      }
    });
    this.stepCount++;
  }

  protected abstract update(name: string, p: Tensor, grad: Tensor): void;
  /** Hyperparameters saved with the state. */
  protected abstract hyper(): Record<string, number | boolean>;

  zeroGrad(): void {
    for (const p of this.params.values()) p.grad = null;
  }

  protected slot(name: string, key: string): Tensor | undefined {
    return this.state.get(name)?.get(key);
  }
  protected setSlot(name: string, key: string, t: Tensor): Tensor {
    let s = this.state.get(name);
    if (!s) this.state.set(name, (s = new Map()));
    s.get(key)?.dispose();
    s.set(key, t.keep());
    return t;
  }

  parameterNames(): string[] { return [...this.params.keys()]; }

  /** Forgets parameters (and frees their state): pruning deletes blocks this way. */
  removeParameters(names: Iterable<string>): void {
    for (const n of names) {
      if (!this.params.delete(n)) throw new Error(`optimizer: no parameter '${n}'`);
      for (const t of this.state.get(n)?.values() ?? []) t.dispose();
      this.state.delete(n);
      this.counts.delete(n);
    }
  }

  /** Points an existing name at a new tensor (e.g. after moving the model to another device). */
  replaceParameter(name: string, p: Tensor): void {
    if (!this.params.has(name)) throw new Error(`optimizer: no parameter '${name}'`);
    this.params.set(name, p);
  }

  /**
   * The state as safetensors content: tensors keyed `<param>::<slot>` (the optimiser's own, not
   * copies) and string metadata (optimiser name, lr, step and per-parameter counts, hyperparameters).
   */
  exportState(): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
    const tensors = new Map<string, Tensor>();
    for (const [n, slots] of this.state) for (const [k, t] of slots) tensors.set(`${n}::${k}`, t);
    return {
      tensors,
      metadata: {
        optimizer: this.constructor.name,
        lr: String(this.lr),
        step: String(this.stepCount),
        counts: JSON.stringify(Object.fromEntries(this.counts)),
        hyper: JSON.stringify(this.hyper()),
      },
    };
  }

  /** Saves state tensors and counters as safetensors (keys `<param>::<slot>`). */
  saveState(path: string): void {
    const { tensors, metadata } = this.exportState();
    saveSafetensors(path, tensors, metadata);
  }

  /**
   * Restores state saved by `saveState`; state of parameters this optimiser no longer has is
   * dropped. Everything is validated before anything changes, so a bad file leaves the state as it was.
   */
  loadState(path: string): void {
    this.importState(loadSafetensors(path), path);
  }

  /**
   * `loadState` on content already read (e.g. a checkpoint's state file): takes ownership of the
   * tensors (those not adopted are freed). `source` names the file in errors.
   */
  importState({ tensors, metadata }: SafetensorsFile, source: string): void {
    const path = source;
    const incoming = new Map<string, Map<string, Tensor>>();
    try {
      if (metadata.optimizer && metadata.optimizer !== this.constructor.name)
        throw new Error(`${path}: optimizer state is for ${metadata.optimizer}, not ${this.constructor.name}`);
      for (const [key, t] of tensors) {
        const [n, k] = key.split('::');
        const p = this.params.get(n!);
        if (!p || !k) continue;
        if (t.shape.join() !== p.shape.join())
          throw new Error(`${path}: state '${key}' has shape [${t.shape}] but the parameter has [${p.shape}]`);
        if (!incoming.has(n!)) incoming.set(n!, new Map());
        incoming.get(n!)!.set(k, t);
      }
      for (const slots of this.state.values()) for (const t of slots.values()) t.dispose();
      this.state.clear();
      for (const [n, slots] of incoming) {
        const device = this.params.get(n)!.device;
        for (const [k, t] of slots) this.setSlot(n, k, device === 'cpu' ? t : t.toDevice(device));
      }
      this.counts.clear();
      for (const [n, c] of Object.entries(JSON.parse(metadata.counts ?? '{}') as Record<string, number>))
        if (this.params.has(n)) this.counts.set(n, c);
      if (metadata.lr) this.lr = Number(metadata.lr);
      if (metadata.step) this.stepCount = Number(metadata.step);
    } finally {
      const adopted = new Set([...this.state.values()].flatMap((m) => [...m.values()]));
      for (const t of tensors.values()) if (!adopted.has(t)) t.dispose();
    }
  }

  /** Moves the optimiser state to `device` (after `module.to(device)`). */
  to(device: Device): this {
    for (const [n, slots] of this.state)
      for (const [k, t] of slots) if (t.device !== device) this.setSlot(n, k, noGrad(() => t.toDevice(device)));
    return this;
  }

  dispose(): void {
    for (const slots of this.state.values()) for (const t of slots.values()) t.dispose();
    this.state.clear();
  }
}
