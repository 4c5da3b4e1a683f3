/**
 * The loss configuration: plain data with defaults (docs/method.md, "Losses"), checked with zod. The
 * trainer's config.json stores it as its `loss` field, and `pspseg train --loss` names it.
 */
import { z } from 'zod';

export const LOSS_NAMES = ['psp', 'dice_ce'] as const;
export type LossName = (typeof LOSS_NAMES)[number];
export const RL_VARIANTS = ['code', 'paper'] as const;

export const LossConfigSchema = z.object({
  /** psp: Dice + CE + lambdaTR * TR + lambdaRL * RL (PSP-Seg); dice_ce: segmentation only (the "no FD loss" ablation). */
  name: z.enum(LOSS_NAMES).default('psp'),
  lambdaTR: z.number().finite().nonnegative().default(0.1),
  lambdaRL: z.number().finite().nonnegative().default(0.1),
  /** 'code': one RL map from decoder stage 1 (authors' code); 'paper': one map per decoder stage, averaged. */
  rlVariant: z.enum(RL_VARIANTS).default('code'),
  /**
   * Dice over the whole batch instead of per sample. nnU-Net v2 sets it true for 3d_fullres only when the
   * dataset also gets a 3d_lowres configuration, false otherwise (e.g. Hippocampus).
   */
  batchDice: z.boolean().default(false),
  /** Dice smoothing (nnU-Net: 1e-5, in numerator and denominator). */
  smooth: z.number().finite().positive().default(1e-5),
  /** Per-output weights, full resolution first; null: nnU-Net's 1/2^i, lowest output 0, normalised. */
  deepSupervisionWeights: z.array(z.number().finite().nonnegative()).nullable().default(null),
}).strict().superRefine((c, ctx) => {
  if (c.deepSupervisionWeights && !c.deepSupervisionWeights.some((w) => w > 0))
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['deepSupervisionWeights'], message: 'at least one weight must be positive' });
});

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
  return r.data;
}
