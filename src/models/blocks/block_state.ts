/**
 * The states of a PRM's blocks (docs/method.md, "Progressive pruning"): what the architecture data,
 * the PRM and the pruning code share. Its own file, importing nothing that loads the engine, so that
 * architecture files can be read (and commands show their options) without libtorch.
 */
import type { Triple } from '../../util/triple.js';

/** active: used in forward; masked: skipped in forward but keeps its parameters; deleted: gone. */
export type BlockState = 'active' | 'masked' | 'deleted';
export const BLOCK_STATES: readonly BlockState[] = ['active', 'masked', 'deleted'];

/** One block as pruning sees it. */
export interface PrmBlockView {
  readonly index: number;
  readonly kernel: Triple;
  readonly state: BlockState;
  /** Parameters the block holds now (0 once deleted). */
  numParameters(): number;
}
