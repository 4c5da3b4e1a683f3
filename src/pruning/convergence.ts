/**
 * The two checks that drive progressive pruning, as pure functions of the per-epoch logs
 * (docs/method.md, "Convergence check" and "Over-pruning check"). Non-finite values (a NaN epoch) are ignored by the minima.
 */
import { z } from 'zod';
import type { MonitoredLog } from './settings.js';

/** One finished epoch's mean training loss, TR and RL (TR/RL absent when the FD loss is off). */
export const EpochLossesSchema = z.object({
  epoch: z.number().int().min(0),
  loss: z.number(),
  tr: z.number().optional(),
  rl: z.number().optional(),
});
export type EpochLosses = z.infer<typeof EpochLossesSchema>;

export interface LogMinima {
  /** Minimum since the last pruning event (null: no finite value yet). */
  sinceEvent: number | null;
  /** Minimum over the last W epochs. */
  lastWindow: number | null;
  /** Minimum over all epochs so far. */
  allTime: number | null;
}

/**
 * The logs of epochs 0..epoch-1, checked: contiguous, each monitored value present.
 * The trainer passes what it has; a gap or a missing TR (FD loss off but monitored) is a clear error.
 */
export function finishedLogs(logs: readonly EpochLosses[], epoch: number, monitored: readonly MonitoredLog[]): EpochLosses[] {
  if (logs.length < epoch) throw new Error(`pruning at epoch ${epoch}: only ${logs.length} epoch logs were given (need epochs 0..${epoch - 1})`);
  const out = logs.slice(0, epoch);
  out.forEach((l, i) => {
    if (l.epoch !== i) throw new Error(`pruning at epoch ${epoch}: log ${i} is for epoch ${l.epoch} (logs must be epochs 0, 1, 2, ... in order)`);
    for (const k of monitored)
      if (typeof l[k] !== 'number')
        throw new Error(`pruning monitors '${k}' but the log of epoch ${i} has none (without the FD loss, set pruning.monitored to ['loss'])`);
  });
  return out;
}

function finiteMin(values: readonly number[]): number | null {
  let m: number | null = null;
  for (const v of values) if (Number.isFinite(v) && (m === null || v < m)) m = v;
  return m;
}

export function minimaOf(logs: readonly EpochLosses[], key: MonitoredLog, lastEvent: number, window: number): LogMinima {
  const values = logs.map((l) => l[key] as number);
  const since = values.slice(lastEvent);
  return {
    sinceEvent: finiteMin(since),
    lastWindow: finiteMin(since.slice(Math.max(0, since.length - window))),
    allTime: finiteMin(values),
  };
}

/**
 * Converged when epoch > W and, for every monitored log, the minimum since the last event is not
 * reached inside the last W epochs (a tie inside the window counts as reached: not converged).
 */
export function hasConverged(logs: readonly EpochLosses[], epoch: number, lastEvent: number, window: number, monitored: readonly MonitoredLog[]): boolean {
  if (epoch <= window) return false;
  const finished = logs.slice(0, epoch);
  return monitored.every((k) => {
    const m = minimaOf(finished, k, lastEvent, window);
    if (m.sinceEvent === null) return false;
    return m.lastWindow === null || m.lastWindow > m.sinceEvent;
  });
}

/** Over-pruned (logs: the finished epochs) when, for any monitored log, all-time minimum + delta <= the minimum since the last event. */
export function isOverPruned(logs: readonly EpochLosses[], lastEvent: number, delta: number, window: number, monitored: readonly MonitoredLog[]): boolean {
  return monitored.some((k) => {
    const m = minimaOf(logs, k, lastEvent, window);
    return m.allTime !== null && m.sinceEvent !== null && m.allTime + delta <= m.sinceEvent;
  });
}
