/** Loss configuration: plain data with defaults (method.md section 2), checked with zod. */
import { z } from 'zod';

export const LOSS_KINDS = ['dcce', 'dcce+fd'] as const;
export type LossKind = (typeof LOSS_KINDS)[number];

export const LossConfigSchema = z.object({
  /** 'dcce': segmentation only (the "no FD loss" ablation); 'dcce+fd': plus TR and RL (PSP-Seg). */
  kind: z.enum(LOSS_KINDS).default('dcce+fd'),
  lambdaTR: z.number().finite().nonnegative().default(0.1),
  lambdaRL: z.number().finite().nonnegative().default(0.1),
  /** 'code': one RL map from decoder stage 1 (authors' code); 'paper': one map per decoder stage, averaged. */
  rlVariant: z.enum(['code', 'paper']).default('code'),
  /**
   * Dice over the whole batch instead of per sample. nnU-Net v2 sets it true for 3d_fullres only when the
   * dataset also gets a 3d_lowres configuration, false otherwise (e.g. Hippocampus).
   */
  batchDice: z.boolean().default(false),
  /** Dice smoothing (nnU-Net: 1e-5, in numerator and denominator). */
  smooth: z.number().finite().positive().default(1e-5),
  /** Per-output weights, full resolution first; null: nnU-Net's 1/2^i, lowest output 0, normalised. */
  deepSupervisionWeights: z.array(z.number().finite().nonnegative()).nullable().default(null),
}).strict();

export type LossConfig = z.infer<typeof LossConfigSchema>;
export type LossConfigInput = z.input<typeof LossConfigSchema>;

export const DEFAULT_LOSS_CONFIG: LossConfig = Object.freeze(LossConfigSchema.parse({})) as LossConfig;

/** Defaults overridden by `input`; errors name `source` and every bad field. */
export function parseLossConfig(input: unknown = {}, source = 'loss configuration'): LossConfig {
  const r = LossConfigSchema.safeParse(input);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${source}: ${problems}`);
  }
  if (r.data.deepSupervisionWeights && !r.data.deepSupervisionWeights.some((w) => w > 0))
    throw new Error(`${source}: deepSupervisionWeights: at least one weight must be positive`);
  return r.data;
}
