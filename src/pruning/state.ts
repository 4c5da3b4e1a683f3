/**
 * The pruning controller's serialisable state (stored in checkpoints) and its event records
 * (written to training_log.jsonl). Plain JSON: minima that do not exist yet are null.
 */
import { z } from 'zod';
import type { BlockState } from './prunable.js';

const int = () => z.number().int();
export const TripleSchema = z.tuple([int(), int(), int()]);
export const BlockRefSchema = z.object({ module: z.string(), block: int().min(0) });

export const LogMinimaSchema = z.object({
  sinceEvent: z.number().nullable(),
  lastWindow: z.number().nullable(),
  allTime: z.number().nullable(),
});

export const CalibrationReportSchema = z.object({
  batches: int(),
  combinations: int(),
  peakHeldBytes: z.number(),
  keepAllBytes: z.number(),
  seconds: z.number(),
});

export const ModuleScoresSchema = z.object({
  module: z.string(),
  blocks: z.array(int()),
  score: z.number(),
  all: z.array(z.object({ blocks: z.array(int()), score: z.number() })),
});

export const EVENT_KINDS = ['masked', 'deleted', 'restored', 'stopped'] as const;
export const EVENT_REASONS = ['converged', 'over-pruned', 'stop-fraction', 'step-zero', 'nothing-prunable'] as const;

export const PruningEventSchema = z.object({
  epoch: int().min(0),
  kind: z.enum(EVENT_KINDS),
  /** converged: blocks masked, or the previous ones deleted, after a convergence without over-pruning. */
  reason: z.enum(EVENT_REASONS),
  blocks: z.array(BlockRefSchema.extend({ kernel: TripleSchema })),
  /** The prune step s after the event. */
  step: int().min(0),
  parametersBefore: int(),
  parametersAfter: int(),
  /** Parameters used by the forward after the event (masked blocks excluded). */
  activeParametersAfter: int(),
  minima: z.record(z.string(), LogMinimaSchema).optional(),
  scores: z.array(ModuleScoresSchema).optional(),
  calibration: CalibrationReportSchema.optional(),
});
export type PruningEvent = z.infer<typeof PruningEventSchema>;

/** Block states as letters, one per block by index: A active, M masked, D deleted, R restored (active again). */
export const STATE_LETTERS = { active: 'A', masked: 'M', deleted: 'D' } as const satisfies Record<BlockState, string>;
export type TimelineLetter = 'A' | 'M' | 'D' | 'R';

export const TimelineRowSchema = z.object({
  epoch: int().min(0),
  parameters: int(),
  activeParameters: int(),
  blocks: z.record(z.string(), z.string().regex(/^[AMDR]*$/)),
});
export type TimelineRow = z.infer<typeof TimelineRowSchema>;

/** The controller's phase (controller.ts lists the transitions). */
export const PRUNING_PHASES = ['watching', 'trial', 'stopped'] as const;
export type PruningPhase = (typeof PRUNING_PHASES)[number];

export const PruningStateSchema = z.object({
  version: z.literal(2),
  /**
   * watching: no block is masked, the logs are watched for convergence; trial: the blocks in `masked`
   * were masked at the last event and the next convergence deletes or restores them; stopped: for good.
   */
  phase: z.enum(PRUNING_PHASES),
  stopReason: z.enum(['stop-fraction', 'step-zero', 'nothing-prunable', 'disabled']).nullable(),
  /** The prune step s. */
  step: int().min(0),
  /** Epoch of the last pruning event (0 before any): logs from it on are "since the last event". */
  lastEventEpoch: int().min(0),
  /** The last epoch whose start was handled (null before the first). */
  lastEpoch: int().nullable(),
  totalEpochs: int().min(1),
  /** Blocks masked at the last event (phase trial): deleted or restored at the next. */
  masked: z.array(BlockRefSchema),
  /** Blocks restored and not masked again since (the grid colours them apart). */
  restored: z.array(BlockRefSchema),
  /** The PRMs and their blocks' kernels, in network order (labels of the grid). */
  modules: z.array(z.object({ name: z.string(), kernels: z.array(TripleSchema) })),
  /** Parameters of the network before any deletion. */
  initialParameters: int(),
  /** Block states now, as letters A / M / D per PRM: rebuild a fresh network with applyArchitecture. */
  architecture: z.record(z.string(), z.string().regex(/^[AMD]*$/)),
  events: z.array(PruningEventSchema),
  timeline: z.array(TimelineRowSchema),
}).refine((s) => (s.phase === 'trial') === (s.masked.length > 0), { message: 'blocks are masked in the trial phase, and only then', path: ['masked'] });
export type PruningState = z.infer<typeof PruningStateSchema>;

/** A version-1 state (a flag `pruning` where the phase now is) in today's form; others as they are. */
function upgrade(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || (value as { version?: unknown }).version !== 1) return value;
  const { pruning, ...rest } = value as { pruning?: unknown; masked?: unknown[] };
  const phase = pruning === false ? 'stopped' : Array.isArray(rest.masked) && rest.masked.length ? 'trial' : 'watching';
  return { ...rest, version: 2, phase };
}

/** Parses a stored state (version 1 too), with a clear error naming what is wrong and where it came from. */
export function parsePruningState(value: unknown, source = 'pruning state'): PruningState {
  const r = PruningStateSchema.safeParse(upgrade(value));
  if (!r.success) {
    const msg = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${source}: invalid pruning state: ${msg}`);
  }
  return r.data;
}
