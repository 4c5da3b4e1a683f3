/**
 * A training run's settings as plain data: every value the run uses, written to config.json in
 * the fold folder and read back (validated) by `--continue`. Defaults are nnU-Net v2's with
 * PSP-Seg's changes (docs/method.md, "Training"; docs/training.md); the patch and batch come from the plan.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { PRECISIONS } from '../tensor/precision.js';
import { writeFileAtomic } from '../util/atomic_write.js';
import { PruningSettingsSchema } from '../pruning/settings.js';
import { LossConfigSchema } from '../losses/config.js';
import { PSP_VARIANT_NAMES } from '../models/psp_variants.js';
import { CONFIG_FILE, trainedDatasetSchema, trainedModelConfigSchema } from '../models/model_folder.js';

export { CONFIG_FILE };
export const CONFIG_VERSION = 1;

const posInt = z.number().int().positive();

export const networkConfigSchema = z.object({
  /** psp: PSP-Seg; plain: the plain U-Net baseline; small: the demo's small U-Net. */
  arch: z.enum(['psp', 'plain', 'small']),
  /** PSP-Seg size (S, B, L); null for the others. */
  variant: z.enum(PSP_VARIANT_NAMES).nullable(),
  deepSupervision: z.boolean(),
  /**
   * The starting architecture (src/models architecture JSON) when it does not follow from the
   * variant: PlainUNet's nnU-Net topology for the plan's spacing and the patch, or a file given with
   * --architecture (a pruned model re-trained from scratch). null: the variant's.
   */
  architecture: z.unknown().nullable().default(null),
  /** Weights loaded (partially) into the fresh network before training (--pretrained); null: none. */
  pretrained: z.string().nullable().default(null),
}).strict();

export const optimizerConfigSchema = z.discriminatedUnion('name', [
  z.object({ name: z.literal('sgd'), lr: z.number().positive(), momentum: z.number().min(0), nesterov: z.boolean(), weightDecay: z.number().min(0) }).strict(),
  z.object({ name: z.literal('adamw'), lr: z.number().positive(), beta1: z.number(), beta2: z.number(), eps: z.number().positive(), weightDecay: z.number().min(0) }).strict(),
]);

/** Extends the fields every reader of a model folder needs (src/models/model_folder.ts). */
export const trainConfigSchema = trainedModelConfigSchema.extend({
  version: z.literal(CONFIG_VERSION),
  dataset: trainedDatasetSchema.extend({
    /** Per channel: the value TR's masked input gets outside the label (the normalised 0.5th foreground percentile). */
    foregroundFill: z.array(z.number().nullable()),
    /** Channels normalised inside the body only (zeroed outside it after augmentation). */
    maskedChannels: z.array(z.number().int().min(0)),
  }).strict(),
  splitSource: z.string(),
  trainCases: z.array(z.string()).min(1),
  network: networkConfigSchema,
  /** The loss (src/losses/config.ts). */
  loss: LossConfigSchema,
  optimizer: optimizerConfigSchema,
  epochs: posInt,
  iterations: posInt,
  valIterations: posInt,
  batchSize: posInt,
  /** lr = lr0 * (1 - epoch / epochs)^polyExponent, set at the start of each epoch. */
  polyExponent: z.number().positive(),
  gradClip: z.number().positive(),
  /** EMA of the pseudo Dice: old * emaMomentum + new * (1 - emaMomentum). */
  emaMomentum: z.number().min(0).max(1),
  oversampleForeground: z.number().min(0).max(1),
  /** Progressive pruning (docs/method.md, "Progressive pruning"); enabled only for PSP-Seg networks. */
  pruning: PruningSettingsSchema.default({ enabled: false }),
  seed: z.number().int().min(0),
  /** Where the run executes; not part of the run's identity (a continued run may move). */
  runtime: z.object({
    device: z.string(), workers: z.number().int().min(0).nullable(),
    /** fp32, or the forward passes under autocast (bf16, fp16 with loss scaling); configs before it trained in fp32. */
    precision: z.enum(PRECISIONS).default('fp32'),
    /** Data-parallel ranks the batch is split over (each computes batchSize / ranks); configs before it ran on one. */
    ranks: z.number().int().min(1).default(1),
  }).strict(),
}).strict();

export type NetworkConfig = z.infer<typeof networkConfigSchema>;
export type OptimizerConfig = z.infer<typeof optimizerConfigSchema>;
export type TrainConfig = z.infer<typeof trainConfigSchema>;
export type PruningConfig = TrainConfig['pruning'];

/** nnU-Net v2's, with PSP-Seg's changes (docs/method.md, "Training"). */
export const DEFAULTS = {
  epochs: 1000,
  iterations: 250,
  valIterations: 50,
  polyExponent: 0.9,
  gradClip: 12,
  emaMomentum: 0.9,
  oversampleForeground: 0.33,
  seed: 0,
  lambdaTR: 0.1,
  lambdaRL: 0.1,
  sgd: { lr: 1e-2, momentum: 0.99, nesterov: true, weightDecay: 3e-5 },
  adamw: { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2 },
} as const;

export function defaultOptimizer(name: 'sgd' | 'adamw', lr?: number): OptimizerConfig {
  return name === 'sgd' ? { name, ...DEFAULTS.sgd, lr: lr ?? DEFAULTS.sgd.lr } : { name, ...DEFAULTS.adamw, lr: lr ?? DEFAULTS.adamw.lr };
}

export function defaultModelName(n: Partial<Pick<NetworkConfig, 'arch' | 'variant'>>): string {
  return n.arch === 'plain' || n.arch === 'small' ? n.arch : `psp_${n.variant ?? 'S'}`;
}

export class ConfigFileError extends Error {
  constructor(readonly path: string, problem: string) { super(`${path}: ${problem}`); this.name = 'ConfigFileError'; }
}

/** Reads and validates a config.json; errors name the file and the field. */
export async function loadConfig(path: string): Promise<TrainConfig> {
  let raw: unknown;
  try { raw = JSON.parse(await readFile(path, 'utf8')); } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigFileError(path, code === 'ENOENT' ? 'no such file (nothing to continue: start the run without --continue)'
      : err instanceof SyntaxError ? `not valid JSON: ${err.message}` : (err as Error).message);
  }
  const parsed = trainConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new ConfigFileError(path, `${i.path.join('.') || 'the file'}: ${i.message}`);
  }
  return parsed.data;
}

export async function saveConfig(path: string, config: TrainConfig): Promise<void> {
  trainConfigSchema.parse(config); // never write what could not be read back
  await writeFileAtomic(path, [`${JSON.stringify(config, null, 2)}\n`]);
}

/** Identifies the run's mathematics (everything but `runtime`); checkpoints record it. */
export function configHash(config: TrainConfig): string {
  const { runtime: _runtime, ...rest } = config;
  return createHash('sha256').update(stableStringify(rest)).digest('hex').slice(0, 16);
}

function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableStringify((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}
