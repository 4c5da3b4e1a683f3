/**
 * Loading a fold folder as `pspseg train` writes it ($PSPSEG_WORK/<dataset>/models/<name>/fold_<k>/):
 *   config.json                      the run's settings: the dataset (work folder, plan hash, input
 *                                    channels, classes, labels) and the fold's cases
 *   architecture.json                the network's description (src/models: PSP-Seg pruned or not,
 *                                    PlainUNet, the small U-Net)
 *   checkpoint_<final|best|latest>.safetensors   the weights, loaded strictly
 * and the plan the run trained with: the dataset work folder's plan.json (findPlan).
 *
 * config.json is read with the schema of the fields every reader of a model folder needs
 * (src/models/model_folder.ts; the trainer's full schema in src/train extends it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import type { AnyModule, Module } from '../nn/module.js';
import { loadWeights } from '../nn/weights.js';
import type { Device, Tensor } from '../tensor/index.js';
import type { Plan } from '../data/plan/plan_schema.js';
import type { Shape3 } from '../util/triple.js';
import { loadPlan } from '../data/plan/plan_file.js';
import { PLAN_FILE } from '../data/dataset/work_dir.js';
import { planHash } from '../data/preprocess/plan_hash.js';
import { SegmentationNetwork } from '../models/network.js';
import { networkFromDescription, validateDescription } from '../models/from_description.js';
import { ARCHITECTURE_FILE, CHECKPOINT_KINDS, CONFIG_FILE, type CheckpointKind, checkpointWeightsFile, trainedModelConfigSchema } from '../models/model_folder.js';

/** What prediction needs from a network: full-resolution logits first (deep-supervision outputs may follow). */
export type InferenceNetwork = Module<[Tensor], { logits: Tensor[] }>;

/** Builds a network from a description other than src/models' (tests' own networks). */
export type NetworkBuilder = (description: unknown, source: string) => InferenceNetwork;


/** The fields of the trainer's config.json that prediction reads (others are ignored). */
export const modelConfigSchema = trainedModelConfigSchema.extend({
  /** Mirrored axes of the training augmentation. The trainer does not record them yet: it mirrors all three. */
  mirrorAxes: z.array(z.number().int().min(0).max(2)).optional(),
});
export type ModelConfig = z.infer<typeof modelConfigSchema>;

/** The trainer's augmentation mirrors every spatial axis (src/data/augment/mirror.ts' default). */
const TRAINED_MIRROR_AXES = [0, 1, 2];

export interface LoadedModel {
  dir: string;
  network: InferenceNetwork;
  /** architecture.json as read. */
  description: unknown;
  plan: Plan;
  planFile: string;
  /** Background and the config's foreground labels; output channel c is class value c. */
  labels: { name: string; value: number }[];
  numClasses: number;
  inChannels: number;
  /** The sliding window's patch: the one the network trained on. */
  patchSize: Shape3;
  /** Spatial axes (0..2, network array order) mirrored in training: the test-time mirroring uses these. */
  mirrorAxes: number[];
  checkpoint: { name: CheckpointKind; file: string; epoch: number | null };
  config: ModelConfig;
}

export interface LoadModelOptions {
  /** Default: src/models' networks. */
  builder?: NetworkBuilder;
  device?: Device;
}

export class ModelFolderError extends Error {
  constructor(readonly path: string, problem: string) { super(`${path}: ${problem}`); this.name = 'ModelFolderError'; }
}

function readJson(path: string, what: string): unknown {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ModelFolderError(path, code === 'ENOENT' ? `${what} not found (is this a fold folder written by 'pspseg train'?)` : (err as Error).message);
  }
  try { return JSON.parse(text); } catch (err) { throw new ModelFolderError(path, `not valid JSON: ${(err as Error).message}`); }
}

export function readModelConfig(path: string): ModelConfig {
  const r = modelConfigSchema.safeParse(readJson(path, 'training configuration'));
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ModelFolderError(path, `${issue.path.join('.') || 'config'}: ${issue.message}`);
  }
  return r.data;
}

/**
 * The plan the run trained with: the first plan.json whose hash is config.dataset.planHash among the
 * fold folder's own (a model folder shipped with its plan), the dataset work folder's
 * (config.dataset.workDir, or its preprocessed folder), and the work folder three levels up
 * (<work>/models/<name>/fold_<k>: a work folder that moved).
 */
export async function findPlan(dir: string, config: ModelConfig): Promise<{ plan: Plan; file: string }> {
  const candidates = [...new Set([
    join(dir, PLAN_FILE), join(config.dataset.workDir, PLAN_FILE), join(config.dataset.preprocessedDir, PLAN_FILE), join(dir, '..', '..', '..', PLAN_FILE),
  ].map((p) => resolve(p)))];
  const other: string[] = [];
  for (const file of candidates.filter((p) => existsSync(p))) {
    const plan = await loadPlan(file);
    const hash = planHash(plan);
    if (hash === config.dataset.planHash) return { plan, file };
    other.push(`${file} is plan ${hash}`);
  }
  throw new ModelFolderError(dir, `the plan the model trained with (${config.dataset.planHash}) is not found: `
    + (other.length ? `${other.join('; ')} (was the dataset planned again?)` : `looked for ${candidates.join(', ')}`));
}

function availableCheckpoints(dir: string): string[] {
  return CHECKPOINT_KINDS.map((k) => checkpointWeightsFile(dir, k)).filter((p) => existsSync(p)).map((p) => basename(p)).sort();
}

function buildFromModels(description: unknown, source: string, config: ModelConfig): InferenceNetwork {
  const d = validateDescription(description, source);
  const { inChannels, classes } = config.dataset;
  if (d.inChannels !== inChannels || d.classes !== classes)
    throw new Error(`the network takes ${d.inChannels} channel(s) and has ${d.classes} classes, the run's dataset ${inChannels} and ${classes}`);
  const net = networkFromDescription(d, source);
  // Prediction uses the full-resolution logits only; the heads stay (their weights are in the checkpoint).
  if (net instanceof SegmentationNetwork) net.deepSupervision = false;
  return net as unknown as InferenceNetwork;
}

/** Builds the network described by the folder and loads the chosen checkpoint's weights (eval mode). */
export async function loadModelFolder(dirIn: string, checkpoint: CheckpointKind = 'final', o: LoadModelOptions = {}): Promise<LoadedModel> {
  const dir = resolve(dirIn);
  if (!existsSync(dir)) throw new ModelFolderError(dir, 'model folder does not exist');
  const config = readModelConfig(join(dir, CONFIG_FILE));
  const { plan, file: planFile } = await findPlan(dir, config);
  const archPath = join(dir, ARCHITECTURE_FILE);
  const description = readJson(archPath, 'network description');

  const weights = checkpointWeightsFile(dir, checkpoint);
  if (!existsSync(weights)) {
    const have = availableCheckpoints(dir);
    throw new ModelFolderError(weights, `checkpoint '${checkpoint}' not found (available: ${have.length ? have.join(', ') : 'none'})`);
  }

  let network: InferenceNetwork;
  try { network = o.builder ? o.builder(description, archPath) : buildFromModels(description, archPath, config); } catch (err) {
    const message = (err as Error).message;
    throw new ModelFolderError(archPath, `cannot build the network: ${message.startsWith(archPath) ? message.slice(archPath.length + 2) : message}`);
  }
  let epoch: number | null = null;
  try {
    const { metadata } = loadWeights(weights, network as unknown as AnyModule); // strict: every name, every shape
    epoch = metadata.epoch !== undefined && Number.isInteger(Number(metadata.epoch)) ? Number(metadata.epoch) : null;
    if (o.device && o.device !== 'cpu') network.to(o.device);
  } catch (err) {
    network.dispose();
    throw err;
  }
  network.eval();
  return {
    dir, network, description, plan, planFile,
    labels: [{ name: plan.labels.find((l) => l.value === 0)?.name ?? 'background', value: 0 }, ...config.dataset.labels.map((l) => ({ name: l.name, value: l.value }))],
    numClasses: config.dataset.classes,
    inChannels: config.dataset.inChannels,
    patchSize: [...config.patchSize],
    mirrorAxes: [...(config.mirrorAxes ?? TRAINED_MIRROR_AXES)],
    checkpoint: { name: checkpoint, file: weights, epoch },
    config,
  };
}
