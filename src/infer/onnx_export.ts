/**
 * `pspseg export`: a fold folder's network (pruned or not; masked blocks left out) as one ONNX file that
 * describes itself (deployed_model.ts): opset 17, float32 compute (weights optionally float16), symbolic
 * batch and spatial dims. Each layer writes its own nodes (exportOnnx in src/nn and src/models/blocks).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../util/atomic_write.js';
import { OnnxGraphBuilder, type OnnxGraphSpec } from '../util/onnx_graph.js';
import type { AnyModule } from '../nn/index.js';
import { packageVersion } from '../util/package_root.js';
import { encodeOnnxModel } from '../io/onnx_file.js';
import { planToStored } from '../data/common/plan_axes.js';
import { type CheckpointKind, PRUNING_GRID_FILE, PRUNING_SUMMARY_FILE, SUMMARY_FILE, VALIDATION_DIR } from '../models/model_folder.js';
import { loadPruningSummary } from '../pruning/summary_file.js';
import { type DeployedModelInfo, DEPLOYED_MODEL_FORMAT, DEPLOYED_MODEL_VERSION, ONNX_METADATA_KEY, deployedModelInfoSchema } from './deployed_model.js';
import { type LoadedModel, loadModelFolder } from './model_folder.js';

export const ONNX_INPUT = 'image';
export const ONNX_OUTPUT = 'logits';

export interface ExportOptions {
  checkpoint?: CheckpointKind;
  /** Weights as float16 (half the file; compute stays float32). */
  halfWeights?: boolean;
}

export interface ExportedModel {
  bytes: Uint8Array;
  info: DeployedModelInfo;
}

/** A network's inference graph: input 'image' [batch, inChannels, d, h, w], output 'logits' [batch, classes, d, h, w], sizes symbolic. */
export function networkGraph(network: AnyModule, inChannels: number, classes: number, o: { halfWeights?: boolean } = {}): { graph: OnnxGraphSpec; ops: string[] } {
  const g = new OnnxGraphBuilder({ halfWeights: o.halfWeights });
  g.unique(ONNX_INPUT);
  const logits = g.node('Identity', [network.exportOnnx(g, ONNX_INPUT, '')], {}, ONNX_OUTPUT);
  const spatial = ['depth', 'height', 'width'];
  const graph = g.graph('pspseg', [{ name: ONNX_INPUT, dims: ['batch', inChannels, ...spatial] }], [{ name: logits, dims: ['batch', classes, ...spatial] }]);
  return { graph, ops: g.ops() };
}

/** The model file and its description for a loaded model; the model stays the caller's. */
export function exportLoadedModel(model: LoadedModel, o: ExportOptions = {}): ExportedModel {
  const { graph, ops } = networkGraph(model.network, model.inChannels, model.numClasses, o);
  const info = describe(model, ops, o.halfWeights ?? false);
  const bytes = encodeOnnxModel({
    graph, producerVersion: info.pspsegVersion, metadata: { [ONNX_METADATA_KEY]: JSON.stringify(info) },
    docString: `${info.network.name} for ${info.dataset.name} (${info.labels.slice(1).map((l) => l.name).join(', ')}), exported by pspseg`,
  });
  return { bytes, info };
}

function describe(model: LoadedModel, ops: string[], halfWeights: boolean): DeployedModelInfo {
  const dir = model.dir, config = model.config, arch = model.description as { kind?: string };
  const kind = arch.kind === 'psp' ? 'psp' : arch.kind === 'plain' ? 'plain' : 'small';
  const net = model.network as { displayName?: string; numParameters(): number };
  const pruningFile = join(dir, PRUNING_SUMMARY_FILE);
  const pruning = existsSync(pruningFile) ? loadPruningSummary(pruningFile) : null;
  const blocks = pruning?.modules.flatMap((m) => m.blocks) ?? [];
  const gridFile = join(dir, PRUNING_GRID_FILE);
  const webgpu = !ops.includes('ConvTranspose');
  const info: DeployedModelInfo = {
    format: DEPLOYED_MODEL_FORMAT, version: DEPLOYED_MODEL_VERSION, pspsegVersion: packageVersion(), exportedAt: new Date().toISOString(),
    network: {
      name: net.displayName ?? 'small U-Net', kind, inChannels: model.inChannels, classes: model.numClasses,
      parameters: net.numParameters(), parametersBeforePruning: pruning?.initialParameters ?? null, ops, webgpu,
      ...(webgpu ? {} : { webgpuNote: "onnxruntime-web's WebGPU provider has no 3-D ConvTranspose (PlainUNet's upsampling): the browser runs it with WASM" }),
      architecture: model.description, halfWeights,
    },
    plan: planToStored(model.plan),
    labels: model.labels,
    channels: model.plan.channels.map((c) => c.name),
    patchSize: model.patchSize,
    mirrorAxes: model.mirrorAxes,
    checkpoint: model.checkpoint.name,
    dataset: { name: config.dataset.name, trainingCases: model.plan.dataset.numCases },
    fold: config.fold,
    valCases: config.valCases,
    validation: validationDice(dir, model.labels),
    pruning: pruning ? {
      deletedBlocks: blocks.filter((b) => b.state === 'deleted').length, totalBlocks: blocks.length,
      gridSvg: existsSync(gridFile) ? readFileSync(gridFile, 'utf8') : null,
    } : null,
  };
  return deployedModelInfoSchema.parse(info); // never write what readDeployedModel would refuse
}

/** Mean validation Dice per class from the fold's validation/summary.json, when the fold was evaluated. */
function validationDice(dir: string, labels: LoadedModel['labels']): DeployedModelInfo['validation'] {
  const file = join(dir, VALIDATION_DIR, SUMMARY_FILE);
  if (!existsSync(file)) return null;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as { mean: Record<string, { Dice: number }>; metric_per_case: unknown[] };
    const perClass = Object.fromEntries(labels.slice(1).map((l) => [l.name, s.mean[String(l.value)]?.Dice ?? NaN]));
    const values = Object.values(perClass);
    if (!values.length || values.some((v) => !Number.isFinite(v))) return null;
    return { meanDice: values.reduce((a, b) => a + b, 0) / values.length, perClass, cases: s.metric_per_case.length };
  } catch { return null; }
}

/** Loads the fold folder on the CPU, exports it and writes the file atomically. */
export async function exportModelFolder(dir: string, output: string, o: ExportOptions = {}): Promise<ExportedModel> {
  const model = await loadModelFolder(dir, o.checkpoint ?? 'final');
  try {
    const exported = exportLoadedModel(model, o);
    await mkdir(dirname(output), { recursive: true });
    await writeFileAtomic(output, [exported.bytes]);
    return exported;
  } finally {
    model.network.dispose();
  }
}
