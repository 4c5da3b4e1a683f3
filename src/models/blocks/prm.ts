/**
 * Parallel redundant module (PRM): `LReLU(x + sum over ACTIVE blocks j of w_j * EB_j(x))`; with no
 * active block it is the identity and returns `x` itself, unchanged.
 *
 * Blocks are children `b{j}`, j the index in the kernel list. Each block is in one of three states:
 * - active: computed;
 * - masked: skipped in the forward pass (no compute), parameters kept, can be unmasked;
 * - deleted: its parameters are gone (Module.deleteModule). The survivors keep their names, so a
 *   checkpoint of a pruned model names the same tensors as the model rebuilt from its architecture.
 *
 * It has what progressive pruning needs of a prunable module (src/pruning/prunable.ts, matched
 * structurally: models do not import pruning): its `name` in the network, `blocks()` views,
 * mask / unmask / deleteBlock (returning the removed parameter names) and a `forwardHook` that
 * `forward` calls with its input and output (the block search scores candidate maskings there).
 */
import { type Generator, type Tensor, tidy } from '../../tensor/index.js';
import { Module, chain } from '../../nn/index.js';
import type { OnnxGraphBuilder } from '../../util/onnx_graph.js';
import { type FeatureShape, type ShapedBlock, type Triple, featureBytes } from '../shapes.js';
import { leakyRelu, onnxLeaky } from './conv_norm_act.js';
import { EfficientBlock } from './efficient_block.js';
import type { BlockState, PrmBlockView } from './block_state.js';



export class ParallelRedundantModule extends Module implements ShapedBlock {
  private readonly branches = new Map<number, EfficientBlock>();
  private readonly _states: BlockState[];
  /** Its dotted path in the network ('enc1', 'dec2'); '' when standalone. */
  readonly name: string;
  /** When set, `forward` calls it once with (input, output) before returning; both stay alive. */
  forwardHook: ((input: Tensor, output: Tensor) => void) | null = null;

  /** `states` (default: all active) lets a saved architecture be rebuilt; deleted blocks are not created. */
  constructor(readonly channels: number, readonly kernels: readonly Triple[], readonly ratio: number,
    o: { normAffine: boolean; generator?: Generator; states?: readonly BlockState[]; name?: string }) {
    super();
    this.name = o.name ?? '';
    if (kernels.length === 0) throw new Error('ParallelRedundantModule: needs at least one branch kernel');
    if (o.states && o.states.length !== kernels.length)
      throw new Error(`ParallelRedundantModule: ${o.states.length} block states for ${kernels.length} kernels`);
    this._states = o.states ? [...o.states] : kernels.map(() => 'active');
    kernels.forEach((k, j) => {
      if (this._states[j] === 'deleted') return;
      this.branches.set(j, this.registerModule(`b${j}`, new EfficientBlock(channels, channels, k, ratio, o)));
    });
  }

  forward(x: Tensor): Tensor {
    const y = this.forwardExcluding(x);
    this.forwardHook?.(x, y);
    return y;
  }

  /**
   * The output with the blocks in `exclude` skipped as well as the masked ones (pruning evaluates
   * candidate maskings this way without changing the module's state).
   */
  forwardExcluding(x: Tensor, exclude?: ReadonlySet<number>): Tensor {
    const used = [...this.branches].filter(([j]) => this._states[j] === 'active' && !exclude?.has(j)).map(([, block]) => block);
    if (used.length === 0) return x;
    return chain(x, (t) => this.residualSum(t, used), leakyRelu);
  }

  /** Active blocks only: masked and deleted ones are not in the graph; with none, the identity (no node). */
  override exportOnnx(g: OnnxGraphBuilder, x: string, name: string): string {
    const active = [...this.branches].filter(([j]) => this._states[j] === 'active');
    if (!active.length) return x;
    const sum = active.reduce((acc, [j, block]) => g.node('Add', [acc, block.exportOnnx(g, x, `${name}.b${j}`)], {}, `${name}.sum`), x);
    return onnxLeaky(g, sum, `${name}.act`);
  }

  /** `x + sum of w_j * EB_j(x)`, each branch's output freed once it is in the sum. */
  private residualSum(x: Tensor, blocks: EfficientBlock[]): Tensor {
    // Accumulated in place into the first weighted branch (a multiplication's output is not saved for
    // backward, nor are sums'): later branches are added with one fused w * e + sum.
    let sum: Tensor | null = null;
    for (const block of blocks) {
      sum = tidy(() => {
        const e = block.branch(x);
        return sum === null ? e.mul(block.scale).add_(x) : sum.addcmul_(e, block.scale);
      });
    }
    return sum!;
  }

  // ---- block states --------------------------------------------------------------------------
  get states(): readonly BlockState[] { return this._states; }
  state(j: number): BlockState { this.checkIndex(j); return this._states[j]!; }
  indicesIn(state: BlockState): number[] { return this._states.flatMap((s, j) => (s === state ? [j] : [])); }
  get numActive(): number { return this.indicesIn('active').length; }
  /** The block at index j (undefined once deleted). */
  block(j: number): EfficientBlock | undefined { return this.branches.get(j); }
  /** Every block the PRM was built with, deleted ones included, by index. */
  blocks(): PrmBlockView[] {
    return this.kernels.map((kernel, index) => ({
      index, kernel, state: this._states[index]!,
      numParameters: () => this.branches.get(index)?.numParameters() ?? 0,
    }));
  }

  mask(j: number): void {
    if (this.state(j) === 'deleted') throw new Error(`PRM block b${j} is deleted and cannot be masked`);
    this._states[j] = 'masked';
  }
  unmask(j: number): void {
    if (this.state(j) === 'deleted') throw new Error(`PRM block b${j} is deleted and cannot be restored`);
    this._states[j] = 'active';
  }
  /**
   * Deletes block j for good: its parameters leave the module (drop them from the optimiser too).
   * Returns their names relative to this module ('b2.reduce.weight', ...); none when already deleted.
   */
  deleteBlock(j: number): string[] {
    if (this.state(j) === 'deleted') return [];
    const names = this.branches.get(j)!.namedParameters(`b${j}.`).map(([n]) => n);
    this.deleteModule(`b${j}`);
    this.branches.delete(j);
    this._states[j] = 'deleted';
    return names;
  }
  /** Deletes every masked block; returns their indices. */
  deleteMasked(): number[] {
    const masked = this.indicesIn('masked');
    for (const j of masked) this.deleteBlock(j);
    return masked;
  }

  private checkIndex(j: number): void {
    if (!Number.isInteger(j) || j < 0 || j >= this.kernels.length)
      throw new Error(`PRM block index ${j} out of range 0..${this.kernels.length - 1}`);
  }

  // ---- shapes --------------------------------------------------------------------------------
  outputShape(input: FeatureShape): FeatureShape {
    if (input[0] !== this.channels) throw new Error(`PRM(${this.channels}): input has ${input[0]} channels`);
    return input;
  }

  /** Each active block's own, plus the sum (saved by the LReLU) and the output; nothing when identity. */
  activationBytes(input: FeatureShape, batch: number): number {
    const active = this.indicesIn('active');
    if (active.length === 0) return 0;
    return active.reduce((n, j) => n + this.branches.get(j)!.activationBytes(input, batch), 0) + 2 * featureBytes(input, batch);
  }
}
