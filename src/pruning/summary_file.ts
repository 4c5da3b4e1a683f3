/**
 * pruning_summary.json, beside a model's architecture.json: the final architecture as the paper
 * reports it (which blocks of which PRM survive, parameters per PRM and in total, the reduction
 * against the unpruned network) and how pruning ended. Written atomically; read back validated,
 * with errors naming the file.
 */
import type { Triple } from '../util/triple.js';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomicSync } from '../util/atomic_write.js';
import { TripleSchema } from './state.js';
import type { ArchitectureSummary } from './summary.js';

export { PRUNING_SUMMARY_FILE } from '../models/model_folder.js';
export const PRUNING_SUMMARY_FORMAT = 'pspseg-pruning-summary';

const int = () => z.number().int();

export const PruningSummaryFileSchema = z.object({
  format: z.literal(PRUNING_SUMMARY_FORMAT),
  version: z.literal(1),
  /** Epochs trained when it was written. */
  epoch: int().min(0),
  /** Whether the run pruned, and how pruning ended (null: still pruning, or never pruned). */
  pruning: z.object({
    enabled: z.boolean(),
    stopReason: z.string().nullable(),
    step: int().min(0).nullable(),
    events: z.object({ masked: int(), deleted: int(), restored: int() }),
  }),
  modules: z.array(z.object({
    name: z.string(),
    blocks: z.array(z.object({ index: int().min(0), kernel: TripleSchema, state: z.enum(['active', 'masked', 'deleted']) })),
    surviving: z.array(int()),
    parameters: int(),
  })),
  totalParameters: int(),
  activeParameters: int(),
  initialParameters: int(),
  reduction: z.number(),
});
export type PruningSummaryFile = z.infer<typeof PruningSummaryFileSchema>;

export function savePruningSummary(path: string, s: PruningSummaryFile): void {
  PruningSummaryFileSchema.parse(s); // never write what could not be read back
  writeFileAtomicSync(path, [`${JSON.stringify(s, null, 2)}\n`]);
}

export function loadPruningSummary(path: string): PruningSummaryFile {
  let raw: unknown;
  try { raw = JSON.parse(readFileSync(path, 'utf8')); } catch (err) {
    throw new Error(`${path}: ${err instanceof SyntaxError ? `not valid JSON: ${err.message}` : (err as Error).message}`);
  }
  const r = PruningSummaryFileSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`${path}: not a pruning summary (${i.path.join('.') || '(root)'}: ${i.message})`);
  }
  return r.data;
}

/** The architecture part, for formatArchitectureSummary. */
export function architectureSummaryOf(s: PruningSummaryFile): ArchitectureSummary {
  return {
    modules: s.modules.map((m) => ({ ...m, blocks: m.blocks.map((b) => ({ ...b, kernel: [...b.kernel] as Triple })) })),
    totalParameters: s.totalParameters, activeParameters: s.activeParameters, initialParameters: s.initialParameters, reduction: s.reduction,
  };
}
