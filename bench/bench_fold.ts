/**
 * What the prediction benchmarks share: the dataset's work folder and plan (made when missing), and an
 * untrained PSP-Seg S in a fold-folder layout when no trained one is given (accuracy does not matter
 * for speed; PRM weights 0.5 so that every block counts).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Dataset } from '../src/data/dataset/dataset.js';
import { PLAN_FILE, PREPROCESSED_DIR, datasetWorkDir } from '../src/data/dataset/work_dir.js';
import { planDataset } from '../src/data/plan/plan.js';
import { loadPlan, savePlan } from '../src/data/plan/plan_file.js';
import type { Plan } from '../src/data/plan/plan_schema.js';
import { planHash } from '../src/data/preprocess/plan_hash.js';
import { PSPSegNet, buildNetwork, checkPatchSize, pspArchitecture, saveArchitecture } from '../src/models/index.js';
import { saveWeights } from '../src/nn/index.js';
import { type BlockRef, deleteBlocks } from '../src/pruning/index.js';
import { Generator, noGrad } from '../src/tensor/index.js';
import { smoke } from './smoke.js';

/** BENCH_WORK, else a temporary folder for a smoke run (removed at exit), else the dataset's work folder. */
export function benchWork(dataset: Dataset, prefix: string): string {
  const temp = smoke && !process.env.BENCH_WORK ? mkdtempSync(join(tmpdir(), prefix)) : null;
  if (temp) process.on('exit', () => rmSync(temp, { recursive: true, force: true }));
  const work = resolve(process.env.BENCH_WORK ?? temp ?? datasetWorkDir(dataset.name));
  mkdirSync(work, { recursive: true });
  return work;
}

export async function benchPlan(work: string, dataset: Dataset): Promise<Plan> {
  const path = join(work, PLAN_FILE);
  if (existsSync(path)) return loadPlan(path);
  console.log(`planning ${dataset.name} into ${path}`);
  const { plan } = await planDataset(dataset);
  await savePlan(path, plan);
  return plan;
}

export interface UntrainedFold {
  dir: string;
  name: string;
  work: string;
  dataset: Dataset;
  plan: Plan;
  trainCases: string[];
  valCases: string[];
  /** Who writes it, for the checkpoint's metadata and the config's note. */
  writer: string;
  /** Channels per stage instead of S's (smoke runs: a quarter). */
  channels?: number[];
  /** Blocks deleted, as pruning would have. */
  deleted?: readonly BlockRef[];
  /** The patch it "trained" with (network axis order), which prediction's windows use; default the plan's. */
  patchSize?: [number, number, number];
}

/** An untrained PSP-Seg S in the layout pspseg train writes (config.json with the fields prediction reads). */
export function makeUntrainedFold(f: UntrainedFold): void {
  mkdirSync(f.dir, { recursive: true });
  const { plan } = f;
  const classes = 1 + Math.max(...plan.labels.map((l) => l.value));
  const net = buildNetwork(pspArchitecture({ variant: 'S', ...(f.channels ? { channels: f.channels } : {}), inChannels: plan.channels.length, classes, deepSupervision: true }), { generator: new Generator(0) });
  try {
    checkPatchSize(f.patchSize ?? plan.patchSize, net.totalStride(), net.displayName);
    noGrad(() => { for (const [name, p] of net.namedParameters()) if (name.endsWith('.scale')) p.fill_(0.5); });
    if (f.deleted?.length) deleteBlocks(net as PSPSegNet, f.deleted, null);
    saveWeights(join(f.dir, 'checkpoint_final.safetensors'), net, { epoch: '0', writer: `${f.writer} (untrained)` });
    saveArchitecture(join(f.dir, 'architecture.json'), net.architecture());
  } finally {
    net.dispose();
  }
  writeFileSync(join(f.dir, 'config.json'), `${JSON.stringify({
    note: `${f.writer}: an untrained PSP-Seg S in the layout pspseg train writes (the fields prediction reads)`,
    name: f.name, fold: 0,
    dataset: {
      name: f.dataset.name, workDir: f.work, preprocessedDir: join(f.work, PREPROCESSED_DIR), planHash: planHash(plan), inChannels: plan.channels.length, classes,
      labels: plan.labels.filter((l) => l.value > 0).map((l) => ({ name: l.name, value: l.value })),
    },
    trainCases: f.trainCases, valCases: f.valCases, patchSize: f.patchSize ?? plan.patchSize,
  }, null, 2)}\n`);
}
