/**
 * How much memory the block search's calibration needs, from the network's shape alone: what the
 * authors' approach (keep every prunable PRM's input and output for all N batches) would hold, and
 * what the streaming search here holds (one PRM's input, output and masked re-computation at a time,
 * on top of an ordinary no-gradient forward).
 */
import type { Triple } from './prunable.js';

export interface CalibrationMemoryInput {
  /** Channels per stage, C0..C{S-1}. */
  channels: readonly number[];
  patch: Triple;
  batch: number;
  /** N calibration batches. */
  batches: number;
  /** Blocks per PRM (4 or 7) and the squeeze ratio r (hidden channels floor(C * r)). */
  blocks: number;
  ratio: number;
  /** The prune step s (blocks masked in the re-computation). */
  step: number;
  bytesPerElement?: number;
}

export interface PrmShape { name: string; channels: number; spatial: Triple; tensorBytes: number }

export interface CalibrationMemoryEstimate {
  prms: PrmShape[];
  /** N x sum over PRMs of (input + output). */
  keepAllBytes: number;
  /** Largest input + output + masked output of one PRM for one batch. */
  streamingHeldBytes: number;
  /** streamingHeldBytes plus the intermediates of one masked PRM forward, all kept until scored. */
  streamingPeakBytes: number;
}

/** The PRMs of a PSP-Seg network with `channels.length` stages, in network order, with their feature shapes. */
export function prmShapes(channels: readonly number[], patch: Triple, batch: number, bytes = 4): PrmShape[] {
  const S = channels.length;
  // Each DownSample (stride 2, padding 1, kernel 3) maps n to ceil(n / 2).
  const at = (i: number) => patch.map((n) => { let v = n; for (let k = 0; k < i; k++) v = Math.ceil(v / 2); return v; }) as Triple;
  const shape = (name: string, i: number): PrmShape => {
    const spatial = at(i);
    return { name, channels: channels[i]!, spatial, tensorBytes: batch * channels[i]! * spatial[0] * spatial[1] * spatial[2] * bytes };
  };
  const out: PrmShape[] = [];
  for (let i = 1; i < S; i++) out.push(shape(`enc${i}`, i));
  for (let i = S - 2; i >= 1; i--) out.push(shape(`dec${i}`, i));
  return out;
}

export function estimateCalibrationMemory(o: CalibrationMemoryInput): CalibrationMemoryEstimate {
  const prms = prmShapes(o.channels, o.patch, o.batch, o.bytesPerElement ?? 4);
  const keepAllBytes = o.batches * prms.reduce((n, p) => n + 2 * p.tensorBytes, 0);
  const held = (p: PrmShape) => 3 * p.tensorBytes;
  const active = o.blocks - o.step;
  // Per active block: reduce, norm, LReLU (h channels), conv, norm, scaled (C channels); then the
  // running sum, the residual add and the LReLU (C channels).
  const forward = (p: PrmShape) => {
    const hiddenBytes = (p.tensorBytes / p.channels) * Math.floor(p.channels * o.ratio);
    return active * (3 * hiddenBytes + 3 * p.tensorBytes) + (active + 1) * p.tensorBytes;
  };
  return {
    prms,
    keepAllBytes,
    streamingHeldBytes: Math.max(...prms.map(held)),
    streamingPeakBytes: Math.max(...prms.map((p) => held(p) + forward(p))),
  };
}
