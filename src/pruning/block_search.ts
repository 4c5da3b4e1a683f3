/**
 * Block-wise pruning's search (docs/method.md, "Block search"): for each prunable PRM, every
 * combination of s of its active blocks is scored by sum over N calibration batches of
 * ||y - y_masked||_F, where y is the PRM's output with the current masks and y_masked its output
 * with the combination masked too; the smallest sum wins (the first in lexicographic order on ties,
 * like the authors' code).
 *
 * Memory: instead of keeping every PRM's input and output for all N batches (what the authors' code
 * does, on the CPU), each PRM scores its combinations inside the network's forward, through its
 * forward hook, as soon as its (input, output) of the current batch exist. Only the running sums
 * (one number per combination) cross batches, and what is held beyond the ordinary forward is one
 * PRM's input, output and one re-computed output at a time. The sums are the same as scoring kept
 * inputs afterwards: every PRM is scored against the unchanged network, and masks are restored
 * before the forward moves on.
 */
import { bytesPerElement, noGrad, tidy, type Tensor } from '../tensor/index.js';
import type { DrawCalibrationBatch, ForwardHook, PrunableModule, PrunableNetwork } from './prunable.js';

export interface CombinationScore { blocks: number[]; score: number }
export interface ModuleChoice {
  module: string;
  /** The combination to mask. */
  blocks: number[];
  score: number;
  /** Every combination's score, in lexicographic order. */
  scores: CombinationScore[];
}
export interface CalibrationReport {
  batches: number;
  /** Combinations scored per batch, over all PRMs. */
  combinations: number;
  /** Largest tensor memory the search held at once beyond the forward's own (input + output + masked output of one PRM). */
  peakHeldBytes: number;
  /** What keeping every prunable PRM's input and output for all batches would have taken. */
  keepAllBytes: number;
  seconds: number;
}
export interface BlockSearchResult { choices: ModuleChoice[]; report: CalibrationReport }

/** What the controller calls: choose s blocks to mask in each of `modules`. */
export type BlockSearch = (modules: PrunableModule[], step: number) => Promise<BlockSearchResult>;

export interface ProgressLike { tick(n?: number, note?: string): void; finish(summary?: string): void }

export interface NetworkBlockSearchOptions {
  network: PrunableNetwork;
  drawBatch: DrawCalibrationBatch;
  /** N calibration batches. */
  batches: number;
  progress?: (total: number) => ProgressLike;
  /**
   * Data-parallel training: sums its argument over the ranks, in place. Batch i of the search is then the
   * ranks' batches i together: each rank keeps its squared norms per batch and combination, they are summed
   * over the ranks, and a batch's score is the root of the sum, as one process scoring the whole batch would
   * get; every rank then chooses the same blocks.
   */
  reduceScores?: (values: Float64Array) => void;
}

/** k-element combinations of `items`, in lexicographic order (as Python's itertools.combinations). */
export function combinations<T>(items: readonly T[], k: number): T[][] {
  const out: T[][] = [];
  const pick: T[] = [];
  const rec = (start: number) => {
    if (pick.length === k) { out.push([...pick]); return; }
    for (let i = start; i <= items.length - (k - pick.length); i++) {
      pick.push(items[i]!);
      rec(i + 1);
      pick.pop();
    }
  };
  if (k >= 0 && k <= items.length) rec(0);
  return out;
}

export const activeBlocks = (m: PrunableModule): number[] => m.blocks().filter((b) => b.state === 'active').map((b) => b.index);

const bytesOf = (t: Tensor): number => t.numel * bytesPerElement(t.dtype);

export function networkBlockSearch(o: NetworkBlockSearchOptions): BlockSearch {
  return (modules, step) => searchBlocks(o, modules, step);
}

export async function searchBlocks(o: NetworkBlockSearchOptions, modules: PrunableModule[], step: number): Promise<BlockSearchResult> {
  const start = performance.now();
  const plans = modules.map((m) => {
    const combos = combinations(activeBlocks(m), step);
    if (combos.length === 0) throw new Error(`block search: ${m.name} has fewer than ${step} active blocks`);
    // with ranks: squared norms per (batch, combination), combined over the ranks before the roots are summed
    const squares = o.reduceScores ? new Float64Array(o.batches * combos.length) : null;
    return { m, combos, sums: new Float64Array(combos.length), squares, calls: 0 };
  });
  let peakHeldBytes = 0;
  let keepAllBytes = 0;
  for (const p of plans) {
    if (p.m.forwardHook) throw new Error(`block search: ${p.m.name} already has a forward hook`);
    const hook: ForwardHook = (x, y) => {
      p.calls++;
      keepAllBytes += bytesOf(x) + bytesOf(y);
      p.m.forwardHook = null; // the scoring forwards below must not call back in
      try {
        p.combos.forEach((combo, c) => {
          combo.forEach((j) => p.m.mask(j));
          try {
            const norm = tidy(() => {
              const masked = p.m.forward(x);
              peakHeldBytes = Math.max(peakHeldBytes, bytesOf(x) + bytesOf(y) + bytesOf(masked));
              return y.sub(masked).norm().item();
            });
            if (p.squares) p.squares[(p.calls - 1) * p.combos.length + c] = norm * norm;
            else p.sums[c]! += norm;
          } finally {
            combo.forEach((j) => p.m.unmask(j));
          }
        });
      } finally {
        p.m.forwardHook = hook;
      }
    };
    p.m.forwardHook = hook;
  }
  const wasTraining = o.network.training;
  o.network.train(false);
  const progress = o.progress?.(o.batches);
  try {
    for (let i = 0; i < o.batches; i++) {
      const batch = await o.drawBatch();
      try {
        noGrad(() => tidy(() => { o.network.forward(batch.image); }));
      } finally {
        batch.dispose();
      }
      for (const p of plans)
        if (p.calls !== i + 1)
          throw new Error(`block search: ${p.m.name}'s forward hook ran ${p.calls} times in ${i + 1} calibration forwards (the PRM must call forwardHook once per forward)`);
      progress?.tick();
    }
  } finally {
    for (const p of plans) p.m.forwardHook = null;
    o.network.train(wasTraining);
  }
  if (o.reduceScores) {
    const all = new Float64Array(plans.reduce((n, p) => n + p.squares!.length, 0));
    let at = 0;
    for (const p of plans) { all.set(p.squares!, at); at += p.squares!.length; }
    o.reduceScores(all);
    at = 0;
    for (const p of plans) {
      for (let i = 0; i < o.batches; i++)
        for (let c = 0; c < p.combos.length; c++) p.sums[c]! += Math.sqrt(all[at + i * p.combos.length + c]!);
      at += p.squares!.length;
    }
  }
  const choices = plans.map((p): ModuleChoice => {
    let best = 0;
    for (let c = 1; c < p.combos.length; c++) if (p.sums[c]! < p.sums[best]!) best = c;
    return {
      module: p.m.name,
      blocks: p.combos[best]!,
      score: p.sums[best]!,
      scores: p.combos.map((blocks, c) => ({ blocks, score: p.sums[c]! })),
    };
  });
  const report: CalibrationReport = {
    batches: o.batches,
    combinations: plans.reduce((n, p) => n + p.combos.length, 0),
    peakHeldBytes,
    keepAllBytes,
    seconds: (performance.now() - start) / 1000,
  };
  progress?.finish(`${report.combinations} combinations per batch, peak held ${(peakHeldBytes / 2 ** 20).toFixed(1)} MiB`);
  return { choices, report };
}
