/**
 * Test-only stand-ins for the PSP-Seg network (not the real model): a PRM computing
 * `LReLU(x + sum over active blocks of w_j * EB_j(x))` where each EB_j is a single small conv with
 * kernel k_j, and a tiny network stem -> enc1 -> 1x1x1 conv -> dec1 -> head built from two of them.
 */
import { Generator, type Tensor, noGrad, randn, zeros } from '../src/tensor/index.js';
import { Conv3d, Module } from '../src/nn/index.js';
import type { BlockState, ForwardHook, PrunableBlockView, PrunableModule, PrunableNetwork, Triple } from '../src/pruning/index.js';

export const STANDIN_KERNELS: Triple[] = [[1, 1, 1], [1, 3, 3], [3, 1, 3], [3, 3, 1]];

export class StandInBlock extends Module {
  readonly conv: Conv3d;
  readonly scale: Tensor;
  constructor(channels: number, readonly kernel: Triple, generator: Generator) {
    super();
    this.conv = this.registerModule('conv', new Conv3d(channels, channels, kernel, { generator }));
    this.scale = this.registerParameter('scale', zeros([1]));
  }
  forward(x: Tensor): Tensor { return this.conv.forward(x); }
  setScale(w: number): void { noGrad(() => this.scale.fill_(w)); }
}

export class StandInPRM extends Module implements PrunableModule {
  forwardHook: ForwardHook | null = null;
  private readonly states: BlockState[];
  private readonly children: (StandInBlock | null)[];

  constructor(readonly name: string, channels: number, readonly kernels: Triple[], generator: Generator) {
    super();
    this.children = kernels.map((k, j) => this.registerModule(`b${j}`, new StandInBlock(channels, k, generator)));
    this.states = kernels.map(() => 'active');
  }

  block(j: number): StandInBlock {
    const b = this.children[j];
    if (!b) throw new Error(`${this.name}: block ${j} is deleted`);
    return b;
  }

  blocks(): PrunableBlockView[] {
    return this.kernels.map((kernel, index) => ({
      index, kernel, state: this.states[index]!,
      numParameters: () => this.children[index]?.numParameters() ?? 0,
    }));
  }
  mask(j: number): void { this.states[j] = 'masked'; }
  unmask(j: number): void { this.states[j] = 'active'; }
  deleteBlock(j: number): string[] {
    const names = this.block(j).namedParameters(`b${j}.`).map(([n]) => n);
    this.deleteModule(`b${j}`);
    this.children[j] = null;
    this.states[j] = 'deleted';
    return names;
  }

  forward(x: Tensor): Tensor {
    let sum: Tensor | null = null;
    this.states.forEach((s, j) => {
      if (s !== 'active') return;
      const b = this.block(j);
      const term = b.forward(x).mul(b.scale);
      sum = sum ? sum.add(term) : term;
    });
    const out = sum ? x.add(sum).leakyRelu(0.01) : x;
    this.forwardHook?.(x, out);
    return out;
  }
}

export class StandInNet extends Module implements PrunableNetwork {
  readonly stem: Conv3d;
  readonly enc1: StandInPRM;
  readonly mid: Conv3d;
  readonly dec1: StandInPRM;
  readonly head: Conv3d;
  /** The training flag seen by each forward (tests check calibration runs in eval mode). */
  readonly forwardModes: boolean[] = [];

  constructor(readonly channels = 4, seed = 1) {
    super();
    const g = new Generator(seed);
    this.stem = this.registerModule('stem', new Conv3d(1, channels, 1, { generator: g }));
    this.enc1 = this.registerModule('enc1', new StandInPRM('enc1', channels, STANDIN_KERNELS, g));
    this.mid = this.registerModule('mid', new Conv3d(channels, channels, 1, { generator: g }));
    this.dec1 = this.registerModule('dec1', new StandInPRM('dec1', channels, STANDIN_KERNELS, g));
    this.head = this.registerModule('head', new Conv3d(channels, 2, 1, { generator: g }));
    // PRM weights start at 0 (as in PSP-Seg); give them values so that blocks matter.
    const w = [0.9, -0.6, 0.4, 0.7];
    for (const prm of [this.enc1, this.dec1]) STANDIN_KERNELS.forEach((_, j) => prm.block(j).setScale(w[j]!));
  }

  prunableModules(): StandInPRM[] { return [this.enc1, this.dec1]; }

  forward(x: Tensor): Tensor {
    this.forwardModes.push(this.training);
    return this.head.forward(this.dec1.forward(this.mid.forward(this.enc1.forward(this.stem.forward(x)))));
  }
}

/** Parameters of one stand-in block: conv weight and bias, and the scalar weight. */
export const standInBlockParameters = (channels: number, k: Triple) => channels * channels * k[0] * k[1] * k[2] + channels + 1;

/** Deterministic calibration batches: the i-th drawn image comes from seed + i. Counts draws and disposals. */
export function seededBatches(seed: number, shape = [2, 1, 4, 5, 6]) {
  let drawn = 0, disposed = 0;
  const draw = async () => {
    const image = randn(shape, { generator: new Generator(seed + drawn++) }).keep();
    return { image, dispose: () => { disposed++; image.dispose(); } };
  };
  return { draw, counts: () => ({ drawn, disposed }) };
}
