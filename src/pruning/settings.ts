/**
 * Progressive pruning settings. Defaults are the authors' training code's values; where the paper
 * says otherwise, `PAPER_PRUNING_VALUES` has the paper's (docs/method.md, "Progressive pruning").
 */
import { z } from 'zod';
import type { PspVariant } from '../models/psp_variants.js';

export const MONITORED_LOGS = ['loss', 'tr', 'rl'] as const;
export type MonitoredLog = (typeof MONITORED_LOGS)[number];

export const PruningSettingsSchema = z.object({
  enabled: z.boolean().default(true),
  /** W: convergence window in epochs (also: no check before epoch W + 1). */
  window: z.number().int().min(1).default(10),
  /** Over-pruning margin: over-pruned when all-time minimum + delta <= minimum since the last event. */
  delta: z.number().min(0).default(0.001),
  /** Initial prune step s; unset: `initialStepFor(variant)` (2 for L, 1 for S and B). */
  initialStep: z.number().int().min(1).optional(),
  /** N: training batches run through the network for the block search. */
  calibrationBatches: z.number().int().min(1).default(100),
  /** Pruning stops for good at epoch >= stopFraction * epochs. */
  stopFraction: z.number().min(0).max(1).default(0.4),
  /**
   * When the stop at stopFraction is applied. 'event' (the authors' code): at the first pruning event
   * (convergence) at or after that epoch; the blocks masked before it are then deleted, or restored if
   * over-pruned, and no new block is masked. 'epoch': at the start of that epoch, restoring every
   * block that is still only masked.
   */
  stopAt: z.enum(['event', 'epoch']).default('event'),
  /** Logs watched by the convergence and over-pruning checks (the paper: TR and RL only). */
  monitored: z.array(z.enum(MONITORED_LOGS)).min(1).default(['loss', 'tr', 'rl']),
  /**
   * A PRM is prunable when it keeps at least this many active blocks after masking s of them:
   * 1 is docs/method.md's "more than s blocks" ("Block search"). (The authors' code counts deleted slots too, so there a
   * PRM can lose all its blocks: 0.)
   */
  minRemainingBlocks: z.number().int().min(0).default(1),
}).strict();

export type PruningSettingsInput = z.input<typeof PruningSettingsSchema>;
/** The defaults: the authors' code's values. */
export const DEFAULT_PRUNING = PruningSettingsSchema.parse({});
export type PruningSettings = z.output<typeof PruningSettingsSchema>;

/** The paper's values where they differ from the code's defaults. */
export const PAPER_PRUNING_VALUES = { delta: 0.01, monitored: ['tr', 'rl'] } as const satisfies PruningSettingsInput;

/** The initial prune step s of a variant: 2 for L, 1 for S and B. */
export function initialStepFor(variant: PspVariant): number {
  return variant === 'L' ? 2 : 1;
}

/** Parses settings (clear error naming the bad field) and fixes the initial step. */
export function resolvePruningSettings(input: PruningSettingsInput, variant: PspVariant): PruningSettings & { initialStep: number } {
  const r = PruningSettingsSchema.safeParse(input);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `pruning.${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid pruning settings: ${msg}`);
  }
  return { ...r.data, initialStep: r.data.initialStep ?? initialStepFor(variant) };
}
