/**
 * Loading a trained model folder, as `pspseg train` writes it
 * ($PSPSEG_WORK/<dataset>/models/<name>/fold_<k>/):
 *   config.json                      the training configuration (mirror axes of the augmentation)
 *   architecture.json                the network's JSON description (pruned or not)
 *   plan.json                        the plan the training data was preprocessed with (else found
 *                                    through the folder layout or the config: see findPlanFile)
 *   checkpoint_<final|best|latest>.safetensors (+ .json: the trainer's state, optional here)
 *
 * The network itself is built by a pluggable builder (`setNetworkBuilder`): `infer` must not know
 * the architectures (src/models does), so the CLI registers the real one and tests their own.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { AnyModule, Module } from '../nn/module.js';
import { loadWeights } from '../nn/weights.js';
import type { Device, Tensor } from '../tensor/index.js';
import type { Plan } from '../data/plan/plan_schema.js';
import { loadPlan } from '../data/plan/plan_file.js';
import { PLAN_FILE, datasetWorkDir } from '../data/dataset/work_dir.js';

/** What prediction needs from a network: full-resolution logits first (deep-supervision outputs may follow). */
export type InferenceNetwork = Module<[Tensor], { logits: Tensor[] }>;

export interface BuildContext {
  /** Input channels and output classes the plan implies (a builder may check them against the description). */
  inChannels: number;
  numClasses: number;
  /** The architecture.json path, for error messages. */
  file: string;
}

/** Rebuilds the network from its JSON description, with freshly initialised weights (the checkpoint overwrites them). */
export type NetworkBuilder = (architecture: unknown, context: BuildContext) => InferenceNetwork;

let registeredBuilder: NetworkBuilder | undefined;

/** Installs the builder loadModelFolder uses when none is passed (the CLI registers src/models' one). */
export function setNetworkBuilder(builder: NetworkBuilder | undefined): void {
  registeredBuilder = builder;
}

export const CHECKPOINTS = ['final', 'best', 'latest'] as const;
export type CheckpointName = (typeof CHECKPOINTS)[number];

export const CONFIG_FILE = 'config.json';
export const ARCHITECTURE_FILE = 'architecture.json';

export interface LoadedModel {
  dir: string;
  network: InferenceNetwork;
  plan: Plan;
  planFile: string;
  /** Label names and values of the plan; output channel c is class value c (nnU-Net's consecutive labels). */
  labels: { name: string; value: number }[];
  numClasses: number;
  inChannels: number;
  /** Spatial axes (0..2, network array order) mirrored in training: the test-time mirroring uses these. */
  mirrorAxes: number[];
  checkpoint: { name: CheckpointName; file: string; state: unknown };
  config: Record<string, unknown>;
}

export interface LoadModelOptions {
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
    throw new ModelFolderError(path, code === 'ENOENT' ? `${what} not found (is this a folder written by 'pspseg train'?)` : (err as Error).message);
  }
  try { return JSON.parse(text); } catch (err) { throw new ModelFolderError(path, `not valid JSON: ${(err as Error).message}`); }
}

const mirrorAxesSchema = z.array(z.number().int().min(0).max(2));
/** The parts of config.json prediction reads; everything else is kept but not checked here. */
const configSchema = z.object({
  mirrorAxes: mirrorAxesSchema.optional(),
  augmentation: z.object({ mirrorAxes: mirrorAxesSchema.optional() }).passthrough().optional(),
  dataset: z.union([z.string(), z.object({ name: z.string() }).passthrough()]).optional(),
  workDir: z.string().optional(),
  plan: z.string().optional(),
  planFile: z.string().optional(),
}).passthrough();
type ModelConfig = z.infer<typeof configSchema>;

function parseConfig(raw: unknown, path: string): ModelConfig {
  const r = configSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ModelFolderError(path, `${issue.path.join('.') || 'config'}: ${issue.message}`);
  }
  return r.data;
}

/** Mirror axes of the training augmentation (config.mirrorAxes or config.augmentation.mirrorAxes), default all three. */
export function mirrorAxesOf(config: ModelConfig): number[] {
  return [...(config.mirrorAxes ?? config.augmentation?.mirrorAxes ?? [0, 1, 2])];
}

/**
 * The plan of a model folder: its own plan.json; else a plan path named by the config (plan /
 * planFile); else plan.json of the dataset work folder (config.workDir, the folder three levels up
 * in the standard layout <work>/models/<name>/fold_<k>, or $PSPSEG_WORK/<config.dataset>/).
 */
export function findPlanFile(dir: string, config: ModelConfig): string {
  const datasetName = typeof config.dataset === 'string' ? config.dataset : config.dataset?.name;
  const candidates = [
    join(dir, PLAN_FILE),
    ...[config.planFile, config.plan].filter((p): p is string => typeof p === 'string').map((p) => resolve(dir, p)),
    ...(config.workDir ? [join(resolve(dir, config.workDir), PLAN_FILE)] : []),
    join(dir, '..', '..', '..', PLAN_FILE),
    ...(datasetName ? [join(datasetWorkDir(datasetName), PLAN_FILE)] : []),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new ModelFolderError(dir, `no plan: looked for ${candidates.map((p) => resolve(p)).join(', ')}`);
  return resolve(found);
}

export function checkpointFile(dir: string, name: CheckpointName): string {
  return join(dir, `checkpoint_${name}.safetensors`);
}

function availableCheckpoints(dir: string): string[] {
  try { return readdirSync(dir).filter((f) => /^checkpoint_.*\.safetensors$/.test(f)).sort(); } catch { return []; }
}

/** Builds the network described by the folder and loads the chosen checkpoint's weights (eval mode). */
export async function loadModelFolder(dirIn: string, checkpoint: CheckpointName = 'final', o: LoadModelOptions = {}): Promise<LoadedModel> {
  const dir = resolve(dirIn);
  if (!existsSync(dir)) throw new ModelFolderError(dir, 'model folder does not exist');
  const builder = o.builder ?? registeredBuilder;
  if (!builder) throw new Error('no network builder registered (setNetworkBuilder): this build of pspseg cannot rebuild networks');
  const configPath = join(dir, CONFIG_FILE);
  const config = parseConfig(readJson(configPath, 'training configuration'), configPath);
  const planFile = findPlanFile(dir, config);
  const plan = await loadPlan(planFile);
  const archPath = join(dir, ARCHITECTURE_FILE);
  const architecture = readJson(archPath, 'network description');

  const weights = checkpointFile(dir, checkpoint);
  if (!existsSync(weights)) {
    const have = availableCheckpoints(dir);
    throw new ModelFolderError(weights, `checkpoint '${checkpoint}' not found (available: ${have.length ? have.join(', ') : 'none'})`);
  }
  const statePath = weights.replace(/\.safetensors$/, '.json');
  const state = existsSync(statePath) ? readJson(statePath, 'checkpoint state') : null;

  const inChannels = plan.channels.length;
  const numClasses = Math.max(...plan.labels.map((l) => l.value)) + 1;
  let network: InferenceNetwork;
  try { network = builder(architecture, { inChannels, numClasses, file: archPath }); } catch (err) {
    throw new ModelFolderError(archPath, `cannot build the network: ${(err as Error).message}`);
  }
  try {
    loadWeights(weights, network as unknown as AnyModule as Module);
    if (o.device && o.device !== 'cpu') network.to(o.device);
  } catch (err) {
    network.dispose();
    throw err;
  }
  network.eval();
  return {
    dir, network, plan, planFile,
    labels: plan.labels.map((l) => ({ ...l })),
    numClasses, inChannels,
    mirrorAxes: mirrorAxesOf(config),
    checkpoint: { name: checkpoint, file: weights, state },
    config,
  };
}
