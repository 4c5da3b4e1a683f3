/**
 * A made-up trained model fold for the report tests, in a temporary folder: a three-case MSD dataset
 * of small anisotropic NIfTI volumes (RAS, 1 x 1 x 3 mm), its plan (planned by the library), a fold
 * folder with config.json, a PSP-Seg architecture.json with pruned blocks, a training log of three
 * epochs with a pruning event, and an evaluation of hand-made predictions in <fold>/validation/
 * (summary.json by src/eval, predict_log.json). The expected Dice per case and class are counted here.
 */
import { parseLossConfig } from '../../src/losses/index.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDataset } from '../../src/data/dataset/dataset.js';
import { planDataset } from '../../src/data/plan/plan.js';
import { savePlan } from '../../src/data/plan/plan_file.js';
import { evaluateFolder } from '../../src/eval/evaluate_folder.js';
import { summaryToJson } from '../../src/eval/summary.js';
import { writeNifti } from '../../src/io/nifti.js';
import type { Volume } from '../../src/io/volume.js';
import { validateArchitecture } from '../../src/models/architecture.js';
import { pruningRecord } from '../../src/pruning/events.js';
import type { PruningEvent } from '../../src/pruning/state.js';
import { PRUNING_SUMMARY_FILE, PRUNING_SUMMARY_FORMAT, savePruningSummary } from '../../src/pruning/summary_file.js';
import { summarizeArchitecture } from '../../src/pruning/summary.js';
import { saveSafetensors } from '../../src/tensor/index.js';
import { type TrainConfig, loadConfig, saveConfig } from '../../src/train/config.js';
import type { EpochLog } from '../../src/train/training_log.js';
import { KERNELS4 } from '../pruning_fakes.js';
import { PRM_NAMES, RUN_EPOCHS, type RunKind, pruningRun, sNetwork } from './pruning_runs.js';

export const SHAPE: [number, number, number] = [20, 16, 8];
export const SPACING: [number, number, number] = [1, 1, 3];
export const CASES = ['toy_a', 'toy_b', 'toy_c'] as const;
const N = SHAPE[0] * SHAPE[1] * SHAPE[2];
const at = (x: number, y: number, z: number) => x + SHAPE[0] * (y + SHAPE[1] * z);

function volume(data: Uint8Array | Float32Array): Volume {
  return {
    shape: SHAPE, channels: 1, spacing: SPACING,
    affine: [[SPACING[0], 0, 0, -10], [0, SPACING[1], 0, -8], [0, 0, SPACING[2], -12], [0, 0, 0, 1]],
    orientation: 'RAS', data, datatype: data instanceof Float32Array ? 'float32' : 'uint8',
  };
}

/** Label boxes [value, x0, y0, z0, x1, y1, z1). */
function boxes(list: number[][]): Uint8Array {
  const out = new Uint8Array(N);
  for (const [v, x0, y0, z0, x1, y1, z1] of list)
    for (let z = z0!; z < z1!; z++) for (let y = y0!; y < y1!; y++) for (let x = x0!; x < x1!; x++) out[at(x, y, z)] = v!;
  return out;
}

/** Dice of label `v` between two label maps, counted voxel by voxel. */
export function countDice(a: Uint8Array, b: Uint8Array, v: number): number {
  let both = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { if (a[i] === v) na++; if (b[i] === v) nb++; if (a[i] === v && b[i] === v) both++; }
  return (2 * both) / (na + nb);
}

const REFERENCE = boxes([[1, 6, 4, 2, 14, 12, 6], [2, 3, 4, 2, 6, 12, 6]]);
/** Predictions: perfect; the core shrunk; the core shifted and the rim thinner. */
const PREDICTIONS: Record<(typeof CASES)[number], Uint8Array> = {
  toy_a: REFERENCE,
  toy_b: boxes([[1, 7, 5, 2, 13, 11, 6], [2, 3, 4, 2, 6, 12, 6]]),
  toy_c: boxes([[1, 9, 7, 3, 17, 15, 7], [2, 4, 4, 2, 6, 12, 6]]),
};

export interface ToyFold {
  datasetDir: string;
  workDir: string;
  fold: string;
  /** Expected Dice per case and label value. */
  dice: Record<string, Record<number, number>>;
  events: PruningEvent[];
}

function epochLog(epoch: number, numParameters: number): EpochLog {
  return {
    epoch, lr: 0.01 * (1 - epoch / 3) ** 0.9, trainLoss: 1 - 0.2 * epoch, trainTerms: { seg: 0.9 - 0.2 * epoch, tr: 0.05, rl: 0.05 },
    valLoss: 1.1 - 0.2 * epoch, valTerms: { seg: 1 - 0.2 * epoch, tr: 0.05, rl: 0.05 },
    pseudoDice: [0.3 + 0.2 * epoch, 0.2 + 0.2 * epoch], meanPseudoDice: 0.25 + 0.2 * epoch, ema: 0.1 + 0.1 * epoch, best: true,
    epochSeconds: 10 + epoch, trainSeconds: 8, valSeconds: 1, dataWaitSeconds: 0.5, peakRssMB: 700 + 10 * epoch, numParameters,
  };
}

export async function makeToyFold(root: string, o: { evaluation?: boolean } = {}): Promise<ToyFold> {
  // the dataset
  const datasetDir = join(root, 'Toy');
  mkdirSync(join(datasetDir, 'imagesTr'), { recursive: true });
  mkdirSync(join(datasetDir, 'labelsTr'), { recursive: true });
  const ids = [...CASES, 'toy_d'];
  for (const id of ids) {
    const image = new Float32Array(N);
    for (let i = 0; i < N; i++) image[i] = 100 + (i % SHAPE[0]) + 50 * REFERENCE[i]!;
    await writeNifti(join(datasetDir, 'imagesTr', `${id}.nii.gz`), volume(image));
    await writeNifti(join(datasetDir, 'labelsTr', `${id}.nii.gz`), volume(REFERENCE));
  }
  writeFileSync(join(datasetDir, 'dataset.json'), JSON.stringify({
    name: 'Toy', description: 'Boxes in a gradient', reference: 'made up for tests', licence: 'CC0', modality: { 0: 'MRI' },
    labels: { 0: 'background', 1: 'Core', 2: 'Rim' }, numTraining: ids.length, numTest: 0, test: [],
    training: ids.map((id) => ({ image: `./imagesTr/${id}.nii.gz`, label: `./labelsTr/${id}.nii.gz` })),
  }));
  const workDir = join(root, 'work', 'Toy');
  const { plan } = await planDataset(readDataset(datasetDir), { workers: 1 });
  await savePlan(join(workDir, 'plan.json'), plan);

  // the fold folder
  const fold = join(workDir, 'models', 'psp_S', 'fold_0');
  mkdirSync(fold, { recursive: true });
  const config: TrainConfig = {
    version: 1, name: 'psp_S',
    dataset: {
      name: 'Toy', workDir, preprocessedDir: join(workDir, 'preprocessed'), planHash: 'abc', inChannels: 1, classes: 3,
      labels: [{ name: 'Core', value: 1 }, { name: 'Rim', value: 2 }], foregroundFill: [0], maskedChannels: [],
    },
    fold: 0, splitSource: join(workDir, 'splits.json'), trainCases: ['toy_d'], valCases: [...CASES],
    pruning: { enabled: true, window: 2, delta: 0.001, calibrationBatches: 2, stopFraction: 0.4, stopAt: 'event', monitored: ['loss', 'tr', 'rl'], minRemainingBlocks: 1 },
    network: { arch: 'psp', variant: 'S', pretrained: null, deepSupervision: true }, loss: parseLossConfig({ name: 'psp' }),
    optimizer: { name: 'sgd', lr: 0.01, momentum: 0.99, nesterov: true, weightDecay: 3e-5 },
    epochs: 3, iterations: 5, valIterations: 2, batchSize: 2, patchSize: [8, 16, 16], polyExponent: 0.9, gradClip: 12,
    emaMomentum: 0.9, oversampleForeground: 0.33, seed: 0, runtime: { device: 'cpu', workers: 0, precision: 'bf16', ranks: 1 },
  };
  await saveConfig(join(fold, 'config.json'), config);
  const architecture = validateArchitecture({
    format: 'pspseg-architecture', version: 1, kind: 'psp', variant: null, inChannels: 1, classes: 3, channels: [8, 16, 32],
    kernels: [[1, 1, 1], [3, 3, 3], [5, 5, 5]], ratio: 0.5, deepSupervision: true, normAffine: false,
    blocks: { enc1: ['active', 'deleted', 'active'], enc2: ['active', 'active', 'masked'], dec1: ['deleted', 'deleted', 'deleted'] },
  });
  writeFileSync(join(fold, 'architecture.json'), JSON.stringify(architecture, null, 2));
  const events: PruningEvent[] = [
    { epoch: 1, kind: 'masked', reason: 'converged', blocks: [{ module: 'enc1', block: 1, kernel: [3, 3, 3] }], step: 1, parametersBefore: 12000, parametersAfter: 12000, activeParametersAfter: 11000 },
    { epoch: 2, kind: 'deleted', reason: 'converged', blocks: [{ module: 'enc1', block: 1, kernel: [3, 3, 3] }], step: 1, parametersBefore: 12000, parametersAfter: 9000, activeParametersAfter: 8500 },
  ];
  const lines = [epochLog(0, 12000), pruningRecord(events[0]!), epochLog(1, 12000), pruningRecord(events[1]!), epochLog(2, 9000)];
  writeFileSync(join(fold, 'training_log.jsonl'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  writeFileSync(join(fold, 'pruning.svg'), '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect id="toy-grid" width="40" height="20" fill="#3f9b5c"/></svg>\n');

  // the evaluation
  const dice: Record<string, Record<number, number>> = {};
  if (o.evaluation !== false) {
    const out = join(fold, 'validation');
    mkdirSync(out);
    for (const id of CASES) {
      await writeNifti(join(out, `${id}.nii.gz`), volume(PREDICTIONS[id]));
      dice[id] = { 1: countDice(PREDICTIONS[id], REFERENCE, 1), 2: countDice(PREDICTIONS[id], REFERENCE, 2) };
    }
    writeFileSync(join(out, 'predict_log.json'), JSON.stringify({ cases: CASES.map((c, i) => ({ id: c, status: 'ok', seconds: 1 + i })), peak_rss_mb: 420, tta: true, device: 'cpu' }));
    const summary = await evaluateFolder({ predictions: out, references: datasetDir });
    writeFileSync(join(out, 'summary.json'), summaryToJson(summary));
  }
  return { datasetDir, workDir, fold, dice, events };
}

/**
 * A sibling of the toy fold (same dataset, plan and evaluation) for a 40-epoch PSP-Seg S run whose
 * pruning went as `run` says (test/helpers/pruning_runs.ts), as `pspseg train` leaves it: config.json,
 * architecture.json with the final block states, training_log.jsonl with each epoch's record after
 * the events at its start, the final checkpoint's pruning state and pruning_summary.json. 'off':
 * the same network trained without pruning (pruning.enabled false, no event, no state).
 */
export async function writeRunFold(toy: ToyFold, name: string, run: RunKind | 'off'): Promise<string> {
  const fold = join(toy.workDir, 'models', name, 'fold_0');
  mkdirSync(fold, { recursive: true });
  const base = await loadConfig(join(toy.fold, 'config.json'));
  const pruned = run === 'off' ? null : await pruningRun(run);
  const network = pruned?.network ?? sNetwork();
  const config: TrainConfig = { ...base, name, epochs: RUN_EPOCHS, pruning: { ...base.pruning, enabled: run !== 'off', stopFraction: 0.4, stopAt: 'event' } };
  await saveConfig(join(fold, 'config.json'), config);
  const letters = pruned?.state.architecture ?? Object.fromEntries(PRM_NAMES.map((n) => [n, 'AAAA']));
  const state = { A: 'active', M: 'masked', D: 'deleted' } as const;
  writeFileSync(join(fold, 'architecture.json'), JSON.stringify(validateArchitecture({
    format: 'pspseg-architecture', version: 1, kind: 'psp', variant: 'S', inChannels: 1, classes: 3, channels: [8, 16, 32, 64, 128],
    kernels: KERNELS4, ratio: 0.5, deepSupervision: true, normAffine: false,
    blocks: Object.fromEntries(Object.entries(letters).map(([m, l]) => [m, [...l].map((c) => state[c as keyof typeof state])])),
  }), null, 2));
  const lines: object[] = [];
  for (let e = 0; e < RUN_EPOCHS; e++) {
    for (const ev of pruned?.state.events.filter((x) => x.epoch === e) ?? []) lines.push(pruningRecord(ev));
    lines.push({ ...epochLog(Math.min(e, 2), pruned?.state.timeline[e]!.parameters ?? network.numParameters()), epoch: e });
  }
  writeFileSync(join(fold, 'training_log.jsonl'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  if (pruned) {
    saveSafetensors(join(fold, 'checkpoint_final.state.safetensors'), new Map(), { trainer: JSON.stringify({ epoch: RUN_EPOCHS, pruning: pruned.state }) });
    const s = summarizeArchitecture(network, pruned.state.initialParameters);
    const count = (kind: string) => pruned.state.events.filter((e) => e.kind === kind).length;
    savePruningSummary(join(fold, PRUNING_SUMMARY_FILE), {
      format: PRUNING_SUMMARY_FORMAT, version: 1, epoch: RUN_EPOCHS,
      pruning: { enabled: true, stopReason: pruned.state.stopReason, step: pruned.state.step, events: { masked: count('masked'), deleted: count('deleted'), restored: count('restored') } },
      ...s, modules: s.modules.map((m) => ({ ...m, blocks: m.blocks.map((b) => ({ ...b, kernel: [...b.kernel] as [number, number, number] })) })),
    });
  }
  return fold;
}
