/**
 * Test-only, tensor-free fakes for driving the pruning controller with synthetic logs: PRMs that
 * only keep block states and parameter counts, an optimiser that only keeps names, and a block
 * search whose choices are scripted.
 */
import type {
  BlockSearch, BlockState, EpochLosses, ParameterOwner, PrunableBlockView, PrunableModule, PrunableNetwork,
  PruningController, PruningEnv, PruningEvent, Triple,
} from '../src/pruning/index.js';

export class FakePRM implements PrunableModule {
  forwardHook = null;
  readonly states: BlockState[];
  constructor(readonly name: string, readonly kernels: Triple[], readonly params: number[]) {
    this.states = kernels.map(() => 'active');
  }
  blocks(): PrunableBlockView[] {
    return this.kernels.map((kernel, index) => ({
      index, kernel, state: this.states[index]!,
      numParameters: () => (this.states[index] === 'deleted' ? 0 : this.params[index]!),
    }));
  }
  mask(j: number): void { this.set(j, 'active', 'masked'); }
  unmask(j: number): void { this.set(j, 'masked', 'active'); }
  deleteBlock(j: number): string[] {
    if (this.states[j] === 'deleted') throw new Error(`${this.name}.b${j} deleted twice`);
    this.states[j] = 'deleted';
    return [`b${j}.conv.weight`, `b${j}.scale`];
  }
  forward(): never { throw new Error('FakePRM has no forward'); }
  numParameters(): number { return this.blocks().reduce((n, b) => n + b.numParameters(), 0); }
  private set(j: number, from: BlockState, to: BlockState) {
    if (this.states[j] !== from) throw new Error(`${this.name}.b${j} is ${this.states[j]}, expected ${from}`);
    this.states[j] = to;
  }
}

export class FakeNetwork implements PrunableNetwork {
  training = true;
  constructor(readonly modules: FakePRM[], readonly otherParameters = 1000) {}
  prunableModules(): FakePRM[] { return this.modules; }
  numParameters(): number { return this.otherParameters + this.modules.reduce((n, m) => n + m.numParameters(), 0); }
  forward(): never { throw new Error('FakeNetwork has no forward'); }
  train(on = true): void { this.training = on; }
}

export const KERNELS4: Triple[] = [[1, 1, 1], [1, 3, 3], [3, 1, 3], [3, 3, 1]];

/** Two PRMs of 4 blocks; block j of PRM i holds 100 * (i + 1) + j parameters. */
export function fakeNetwork(blocks = 4): FakeNetwork {
  const k = KERNELS4.slice(0, blocks);
  return new FakeNetwork([
    new FakePRM('enc1', k, k.map((_, j) => 100 + j)),
    new FakePRM('dec1', k, k.map((_, j) => 200 + j)),
  ]);
}

export class FakeOptimizer implements ParameterOwner {
  readonly names = new Set<string>();
  constructor(network: FakeNetwork) {
    for (const m of network.modules) m.kernels.forEach((_, j) => { this.names.add(`${m.name}.b${j}.conv.weight`); this.names.add(`${m.name}.b${j}.scale`); });
  }
  removeParameters(names: Iterable<string>): void {
    for (const n of names) if (!this.names.delete(n)) throw new Error(`optimizer: no parameter '${n}'`);
  }
}

/** A block search that masks, in each PRM, the `step` active blocks with the highest indices; records its calls. */
export function scriptedSearch(): { search: BlockSearch; calls: { modules: string[]; step: number }[] } {
  const calls: { modules: string[]; step: number }[] = [];
  const search: BlockSearch = async (modules, step) => {
    calls.push({ modules: modules.map((m) => m.name), step });
    const choices = modules.map((m) => {
      const active = m.blocks().filter((b) => b.state === 'active').map((b) => b.index);
      const blocks = active.slice(active.length - step);
      return { module: m.name, blocks, score: 0, scores: [{ blocks, score: 0 }] };
    });
    return { choices, report: { batches: 0, combinations: modules.length, peakHeldBytes: 0, keepAllBytes: 0, seconds: 0 } };
  };
  return { search, calls };
}

/** Logs with the same value for loss, TR and RL (or separate series). */
export function logs(loss: number[], tr = loss, rl = loss): EpochLosses[] {
  return loss.map((l, epoch) => ({ epoch, loss: l, tr: tr[epoch]!, rl: rl[epoch]! }));
}

/** Compact event text: 'epoch kind reason blocks s=step'. */
export const eventText = (e: PruningEvent) =>
  `${e.epoch} ${e.kind} ${e.reason} [${e.blocks.map((b) => `${b.module}.b${b.block}`).join(',')}] s=${e.step}`;

/** Runs epochs from..to (inclusive) and returns every event, as text. */
export async function runEpochs(c: PruningController, env: PruningEnv, all: EpochLosses[], from: number, to: number): Promise<string[]> {
  const out: string[] = [];
  for (let e = from; e <= to; e++) out.push(...(await c.onEpochStart(e, all, env)).map(eventText));
  return out;
}
