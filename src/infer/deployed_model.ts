/**
 * A deployed model: an ONNX file that says everything inference needs about itself, as one JSON value in
 * its metadata_props under `pspseg` (the plan for preprocessing, labels, channels, patch, mirroring axes)
 * and what a person wants to know before trusting it (network, parameters before and after pruning,
 * validation Dice, dataset). No other file is needed to segment a NIfTI with it. No Node API: the
 * browser app reads models with this too.
 */
import { z } from 'zod';
import { readOnnxModelSummary } from '../io/onnx_file.js';
import type { Plan } from '../data/plan/plan_schema.js';
import { validatePlan } from '../data/plan/plan_validate.js';

export const ONNX_METADATA_KEY = 'pspseg';
export const DEPLOYED_MODEL_FORMAT = 'pspseg-onnx-model';
export const DEPLOYED_MODEL_VERSION = 1;

const posInt = z.number().int().positive();
const triple = z.tuple([posInt, posInt, posInt]);

export const deployedModelInfoSchema = z.object({
  format: z.literal(DEPLOYED_MODEL_FORMAT),
  version: z.literal(DEPLOYED_MODEL_VERSION),
  pspsegVersion: z.string(),
  exportedAt: z.string(),
  network: z.object({
    /** "PSP-Seg S", "PlainUNet (4 stages)". */
    name: z.string(),
    kind: z.enum(['psp', 'plain', 'small']),
    inChannels: posInt,
    classes: z.number().int().min(2),
    parameters: z.number().int().nonnegative(),
    /** Before pruning (the unpruned architecture's count); null when the network is not prunable. */
    parametersBeforePruning: z.number().int().nonnegative().nullable(),
    /** Operator types in the graph. */
    ops: z.array(z.string()),
    /** Whether onnxruntime-web's WebGPU provider runs every op (3-D ConvTranspose it does not). */
    webgpu: z.boolean(),
    webgpuNote: z.string().optional(),
    /** architecture.json of the fold folder, block states included. */
    architecture: z.unknown(),
    /** Weights stored as float16 (compute stays float32). */
    halfWeights: z.boolean(),
  }),
  /** The plan the model trained with, as its plan.json stores it (named axes). */
  plan: z.unknown(),
  /** Background first; output channel c is label value c. */
  labels: z.array(z.object({ name: z.string(), value: z.number().int().min(0) })).min(2),
  /** Input channel names, in order (one file per channel, or one 4D file). */
  channels: z.array(z.string()).min(1),
  /** The sliding window's patch, network array order. */
  patchSize: triple,
  /** Spatial axes the training mirrored: test-time mirroring uses them. */
  mirrorAxes: z.array(z.number().int().min(0).max(2)),
  checkpoint: z.string(),
  dataset: z.object({ name: z.string(), trainingCases: posInt.nullable() }),
  fold: z.union([z.number().int().min(0), z.literal('all')]).nullable(),
  /** The fold's validation cases (predict --val picks them). */
  valCases: z.array(z.string()),
  /** Mean Dice over the fold's validation cases, per class name, when the fold was evaluated. */
  validation: z.object({ meanDice: z.number(), perClass: z.record(z.number()), cases: posInt }).nullable(),
  pruning: z.object({
    deletedBlocks: z.number().int().nonnegative(),
    totalBlocks: z.number().int().nonnegative(),
    /** The pruning grid (the paper's Fig. 4) as SVG, when the run drew one. */
    gridSvg: z.string().nullable(),
  }).nullable(),
}).strict();

export type DeployedModelInfo = z.infer<typeof deployedModelInfoSchema>;

export interface DeployedModel {
  info: DeployedModelInfo;
  plan: Plan;
  /** The model file's bytes (an inference session is made from them). */
  bytes: Uint8Array;
}

/** Reads and checks a model file's description; errors name the file (`name`) and say what is wrong. */
export function readDeployedModel(bytes: Uint8Array, name: string): DeployedModel {
  const summary = readOnnxModelSummary(bytes, name);
  const text = summary.metadata[ONNX_METADATA_KEY];
  if (text === undefined) {
    throw new Error(`${name}: an ONNX model without pspseg's description (metadata '${ONNX_METADATA_KEY}'; made by ${summary.producerName || 'an unknown producer'}): `
      + "export models with 'pspseg export'");
  }
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (err) { throw new Error(`${name}: metadata '${ONNX_METADATA_KEY}' is not JSON (${(err as Error).message})`); }
  const version = (raw as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > DEPLOYED_MODEL_VERSION) {
    throw new Error(`${name}: model format version ${version} is newer than this pspseg reads (${DEPLOYED_MODEL_VERSION}); update pspseg`);
  }
  const r = deployedModelInfoSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new Error(`${name}: metadata '${ONNX_METADATA_KEY}': ${issue.path.join('.') || 'value'}: ${issue.message}`);
  }
  const plan = validatePlan(r.data.plan, `${name} (its plan)`);
  return { info: r.data, plan, bytes };
}
