/**
 * What progressive pruning needs from a network, and nothing more: PSP-Seg (src/models) fits these
 * interfaces, and the pruning code takes only the block's own types from there, so tests can prune
 * small stand-ins. PRMs are modules named `enc{i}` / `dec{i}`, their blocks children `b{j}` with j
 * stable after deletions.
 */
import type { Tensor } from '../tensor/index.js';
import type { Triple } from '../util/triple.js';
import type { BlockState, PrmBlockView as PrunableBlockView } from '../models/blocks/block_state.js';

export type { Triple };

/** A block as pruning sees it: its index, kernel, state and parameter count (src/models' PRM block view). */
export type { BlockState, PrunableBlockView };

/** Called by a PRM's forward with its input and its output (both still owned by the forward). */
export type ForwardHook = (input: Tensor, output: Tensor) => void;

export interface PrunableModule {
  /** Dotted path of the PRM in the network ('enc1', 'dec2'); its parameters are named `${name}.b{j}....`. */
  readonly name: string;
  /** Every block the PRM was built with, deleted ones included, ordered by index. */
  blocks(): PrunableBlockView[];
  /** Skip block j in forward (it keeps its parameters). */
  mask(j: number): void;
  /** Use block j in forward again. */
  unmask(j: number): void;
  /**
   * Removes block j and frees its parameters. Returns the names of the parameters removed, relative
   * to this module (e.g. 'b2.reduce.weight', 'b2.scale'), so that the optimiser can forget them.
   */
  deleteBlock(j: number): string[];
  /** `LReLU(x + sum over active blocks of w_j * EB_j(x))`, `x` when no block is active. */
  forward(x: Tensor): Tensor;
  /**
   * When set, forward calls it once with (input, output) before returning. Calibration sets it;
   * it is null otherwise. The hook must leave both tensors alive.
   */
  forwardHook: ForwardHook | null;
  numParameters(): number;
}

export interface PrunableNetwork {
  /** The PRMs in network order (encoder enc1.., then decoder from the deepest dec up to dec1). */
  prunableModules(): PrunableModule[];
  numParameters(): number;
  /** The ordinary forward; calibration runs it and ignores what it returns (freed by its scope). */
  forward(x: Tensor): unknown;
  training: boolean;
  train(on?: boolean): unknown;
}

/** The part of an optimiser that deletion uses (src/optim's Optimizer has it). */
export interface ParameterOwner {
  removeParameters(names: Iterable<string>): void;
}

/** One calibration batch: the training loader's Batch fits. */
export interface CalibrationBatch {
  image: Tensor;
  dispose(): void;
}
export type DrawCalibrationBatch = () => Promise<CalibrationBatch>;

/** A block of a PRM, by names that survive checkpoints. */
export interface BlockRef { module: string; block: number }

export const blockLabel = (r: BlockRef): string => `${r.module}.b${r.block}`;
export const kernelLabel = (k: readonly number[]): string => k.join('x');
