/** A list of child modules named 0, 1, ... that its owner runs itself (torch.nn.ModuleList). */
import { type AnyModule, Module } from '../../nn/index.js';

export class ModuleList<M extends AnyModule> extends Module<never[], never> {
  readonly items: M[];
  constructor(items: M[]) {
    super();
    this.items = items.map((m, i) => this.registerModule(String(i), m));
  }
  at(i: number): M {
    const m = this.items[i];
    if (!m) throw new Error(`ModuleList: no item ${i}`);
    return m;
  }
  get length(): number { return this.items.length; }
  forward(): never { throw new Error('ModuleList has no forward; its owner runs the items'); }
}
