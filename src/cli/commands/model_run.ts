/**
 * `pspseg model` at work: prints a network's architecture like torchinfo (each module with its output shape for
 * a patch, its parameters, its activation-memory estimate, and the totals). The architecture comes from
 * options, a saved architecture file (or a model folder with architecture.json), or a plan.
 * `modelRequest` checks the options, `resolveModel` turns them into an architecture and patch,
 * `formatModelSummary` prints. Loaded when the command runs.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PRUNING_SUMMARY_FILE, type PruningSummaryFile, architectureSummaryOf, formatArchitectureSummary, loadPruningSummary } from '../../pruning/index.js';
import { arrayAxisNames, formatXYZ, fromXYZ, labelTriple } from '../../data/common/axes.js';
import { loadPlan, PlanFileError } from '../../data/plan/plan_file.js';
import { findPlan, readModelConfig } from '../../infer/model_folder.js';
import { CONFIG_FILE } from '../../models/model_folder.js';
import type { PspVariant } from '../../models/psp_variants.js';
import type { Axes3 } from '../../util/triple.js';
import type { Plan } from '../../data/plan/plan_schema.js';
import {
  type Architecture, ArchitectureError, ArchitectureFileError, type LayoutRow, PatchSizeError, type SegmentationNetwork, type Triple,
  buildNetwork, formatShape, loadArchitecture, plainArchitecture, plainArchitectureFromPlan, plainTopology, pspArchitecture, trainingStepMemory,
} from '../../models/index.js';

export interface ModelRequest {
  arch: 'psp' | 'plain';
  variant?: PspVariant;
  branches?: 1 | 4 | 7;
  ratio?: number;
  features?: number[];
  normAffine: boolean;
  inChannels?: number;
  classes?: number;
  deepSupervision: boolean;
  /** Per image axis x, y, z. */
  spacingXYZ?: Triple;
  from?: string;
  plan?: string;
  /** Per image axis x, y, z. */
  patchXYZ?: Triple;
  batch?: number;
  /** Data-parallel ranks the batch is split over. */
  ranks?: number;
  blocks: boolean;
  json: boolean;
}

/**
 * What a model shows: the architecture, the patch and the global batch (patch in the network's axis order),
 * that order, and the data-parallel ranks the batch is split over (the memory shown is one rank's).
 */
export interface ResolvedModel { arch: Architecture; patch: Triple; batch: number; ranks: number; transposeForward: Axes3 }

/** One rank's share of the batch. */
const rankShare = (m: ResolvedModel): number => m.batch / m.ranks;

/** The patch and batch a trained fold folder trained with, and its plan's axes (null for a plain architecture file). */
async function trainedWith(from: string): Promise<{ patch: Triple; batch: number; ranks: number; transposeForward: Axes3 } | null> {
  let dir = from;
  try { if (!statSync(from).isDirectory()) dir = dirname(from); } catch { return null; }
  const configPath = join(dir, CONFIG_FILE);
  if (!existsSync(configPath)) return null;
  const config = readModelConfig(configPath);
  const raw = JSON.parse(readFileSync(configPath, 'utf8')) as { batchSize?: unknown; runtime?: { ranks?: unknown } };
  const { plan } = await findPlan(dir, config);
  const count = (v: unknown, otherwise: number): number => (typeof v === 'number' ? v : otherwise);
  return { patch: config.patchSize, batch: count(raw.batchSize, 2), ranks: count(raw.runtime?.ranks, 1), transposeForward: plan.transposeForward };
}

/** The architecture, patch and batch a request describes (reads --from and --plan files). */
export async function resolveModel(r: ModelRequest): Promise<ResolvedModel> {
  const plan: Plan | undefined = r.plan === undefined ? undefined : await loadPlan(r.plan);
  const trained = r.from === undefined ? null : await trainedWith(r.from);
  const transposeForward = trained?.transposeForward ?? plan?.transposeForward ?? [0, 1, 2];
  const patch = r.patchXYZ ? fromXYZ(r.patchXYZ, transposeForward) : trained?.patch ?? (plan?.patchSize as Triple | undefined) ?? [128, 128, 128];
  const batch = r.batch ?? trained?.batch ?? plan?.batchSize ?? 2;
  const ranks = r.ranks ?? trained?.ranks ?? 1;
  if (batch % ranks !== 0) throw new ArchitectureError(`batch ${batch} cannot be split evenly over ${ranks} ranks: use a multiple of ${ranks}`);
  const shown = { patch, batch, ranks, transposeForward };
  if (r.from !== undefined) return { arch: loadArchitecture(r.from), ...shown };
  const inChannels = r.inChannels ?? plan?.channels.length ?? 1;
  const classes = r.classes ?? plan?.labels.length ?? 2;
  if (r.arch === 'psp') {
    return {
      arch: pspArchitecture({
        variant: r.variant, branches: r.branches, ratio: r.ratio, channels: r.features, inChannels, classes,
        deepSupervision: r.deepSupervision, normAffine: r.normAffine,
      }),
      ...shown,
    };
  }
  const o = { channels: r.features, deepSupervision: r.deepSupervision };
  if (plan && r.patchXYZ === undefined) return { arch: { ...plainArchitectureFromPlan(plan, o, r.plan), inChannels, classes }, ...shown };
  // nnU-Net's rules on the given patch (and the plan's spacing, or --spacing, or 1 mm).
  const spacing = r.spacingXYZ ? fromXYZ(r.spacingXYZ, transposeForward) : (plan?.targetSpacing as Triple | undefined) ?? [1, 1, 1];
  const t = plainTopology(spacing, patch);
  if (r.features && r.features.length !== t.strides.length)
    throw new ArchitectureError(`--features lists ${r.features.length} stages; nnU-Net's topology for patch ${formatXYZ(patch, transposeForward)} and spacing ${formatXYZ(spacing, transposeForward, 'mm')} has ${t.strides.length}`);
  return { arch: plainArchitecture(t, { ...o, inChannels, classes }), ...shown };
}

const grouped = (n: number): string => n.toLocaleString('en-US');
export function formatBytes(b: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (b >= 1024 && i < units.length - 1) { b /= 1024; i++; }
  return `${b.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** The summary table and totals; `rows` from net.layout(patch, batch). */
export function formatModelSummary(net: SegmentationNetwork, m: ResolvedModel, rows: LayoutRow[], showBlocks: boolean): string {
  const { arch, patch } = m;
  const batch = rankShare(m);
  const shown = rows.filter((r) => showBlocks || r.depth === 0);
  const table = [['Module', 'Type', `Output shape (N, C, ${arrayAxisNames(m.transposeForward).join(', ')})`, 'Params', 'Activations', ''],
    ...shown.map((r) => [`${'  '.repeat(r.depth)}${r.name}`, r.type, formatShape(r.output), grouped(r.params), r.activationBytes ? formatBytes(r.activationBytes) : '-', r.note ?? ''])];
  const width = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 3 || c === 4 ? cell.padStart(width[c]!) : cell.padEnd(width[c]!))).join('  ').trimEnd();
  const rule = '-'.repeat(width.reduce((a, b) => a + b + 2, -2));
  const params = net.numParameters();
  const extra = arch.kind === 'psp'
    ? `ratio ${arch.ratio}, branch kernels ${arch.kernels.map((k) => k.join('x')).join(', ')}; PRM blocks: ${blockCounts(net)}`
    : `strides ${arch.strides.map((t) => t.join('x')).join(', ')}; kernels ${arch.kernels.map((k) => k.join('x')).join(', ')}`;
  return [
    `${net.displayName}: ${arch.inChannels} input channel${arch.inChannels > 1 ? 's' : ''}, ${arch.classes} classes, channels ${formatShape(arch.channels)}, ` +
    `deep supervision ${arch.deepSupervision ? 'on' : 'off'}`,
    `patch ${formatXYZ(patch, m.transposeForward)}, batch ${m.ranks > 1 ? `${m.batch} over ${m.ranks} ranks, ${batch} per rank (memory per rank)` : batch}; ${extra}`,
    '', line(table[0]!), rule, ...table.slice(1).map(line), rule,
    `Total parameters: ${grouped(params)} (${(params / 1e6).toFixed(2)}M)`,
    `Activation memory of a training step (estimate, input included): ${formatBytes(net.activationBytes(patch, batch))}`,
    `Memory of a training step (the trainer's memory guard; SGD${arch.kind === 'psp' ? ', TR' : ''}; the loader's batches come on top): ${stepMemoryText(net, arch, patch, batch)}`,
  ].join('\n');
}

function stepMemoryText(net: SegmentationNetwork, arch: Architecture, patch: Triple, batch: number): string {
  const m = trainingStepMemory(net, patch, batch, { maskedEncoderPass: arch.kind === 'psp' });
  return `${formatBytes(m.resident)} resident (${formatBytes(m.live)} live at the peak)`;
}

function blockCounts(net: SegmentationNetwork): string {
  const a = net.architecture();
  if (a.kind !== 'psp') return '';
  const all = Object.values(a.blocks).flat();
  return (['active', 'masked', 'deleted'] as const).map((s) => `${all.filter((x) => x === s).length} ${s}`).join(', ');
}

/** The pruning_summary.json beside an architecture given with --from (a folder, or a file in one), if any. */
export function pruningSummaryBeside(from: string): PruningSummaryFile | null {
  let dir = from;
  try { if (!statSync(from).isDirectory()) dir = dirname(from); } catch { return null; }
  const path = join(dir, PRUNING_SUMMARY_FILE);
  return existsSync(path) ? loadPruningSummary(path) : null;
}

/** The pruning part of a trained model's summary. */
export function formatPruningSummary(s: PruningSummaryFile): string {
  const e = s.pruning.events;
  const how = !s.pruning.enabled ? 'trained without pruning'
    : `pruned over ${s.epoch} epochs: ${e.masked} masking, ${e.deleted} deletion, ${e.restored} restoring event(s)` +
      (s.pruning.stopReason ? `, stopped (${s.pruning.stopReason})` : ', still pruning') + (s.pruning.step !== null ? `, prune step ${s.pruning.step}` : '');
  return [`PRM blocks (${PRUNING_SUMMARY_FILE}; ${how}):`, formatArchitectureSummary(architectureSummaryOf(s))].join('\n');
}

/** Builds the network the request describes and prints its summary; returns the exit code. */
export async function runModel(req: ModelRequest): Promise<number> {
  let net: SegmentationNetwork | undefined;
  try {
    const m = await resolveModel(req);
    const { patch } = m;
    const batch = rankShare(m);
    net = buildNetwork(m.arch);
    const rows = net.layout(patch, batch);
    console.log(formatModelSummary(net, m, rows, req.blocks));
    const pruning = req.from === undefined ? null : pruningSummaryBeside(req.from);
    if (pruning) console.log(`\n${formatPruningSummary(pruning)}`);
    if (req.json) {
      console.log(JSON.stringify({
        name: net.displayName, architecture: net.architecture(), params: net.numParameters(), patch: labelTriple(patch, m.transposeForward), batch: m.batch, ranks: m.ranks, batchPerRank: batch,
        networkAxes: arrayAxisNames(m.transposeForward),
        activationBytes: net.activationBytes(patch, batch), layers: rows, ...(pruning ? { pruning } : {}),
      }));
    }
    return 0;
  } catch (err) {
    if (err instanceof PatchSizeError || err instanceof ArchitectureError || err instanceof ArchitectureFileError || err instanceof PlanFileError ||
      (err instanceof Error && err.message.includes(PRUNING_SUMMARY_FILE))) {
      console.error(`pspseg model: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    net?.dispose();
  }
}
