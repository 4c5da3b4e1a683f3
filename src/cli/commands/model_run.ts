/**
 * `pspseg model` at work: prints a network's architecture like torchinfo (each module with its output shape for
 * a patch, its parameters, its activation-memory estimate, and the totals). The architecture comes from
 * options, a saved architecture file (or a model folder with architecture.json), or a plan.
 * `modelRequest` checks the options, `resolveModel` turns them into an architecture and patch,
 * `formatModelSummary` prints. Loaded when the command runs.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from '../command.js';
import { PRUNING_SUMMARY_FILE, type PruningSummaryFile, architectureSummaryOf, formatArchitectureSummary, loadPruningSummary } from '../../pruning/index.js';
import type { ModelOptions } from './model.js';
import { loadPlan, PlanFileError } from '../../data/plan/plan_file.js';
import type { Plan } from '../../data/plan/plan_schema.js';
import {
  type Architecture, ArchitectureError, ArchitectureFileError, type LayoutRow, PatchSizeError, type SegmentationNetwork, type Triple,
  buildNetwork, formatShape, isBranchCount, loadArchitecture, plainArchitecture, plainArchitectureFromPlan, plainTopology, pspArchitecture, trainingStepMemory,
} from '../../models/index.js';

export interface ModelRequest {
  arch: 'psp' | 'plain';
  variant?: 'S' | 'B' | 'L';
  branches?: 1 | 4 | 7;
  ratio?: number;
  features?: number[];
  normAffine: boolean;
  inChannels?: number;
  classes?: number;
  deepSupervision: boolean;
  spacing?: Triple;
  from?: string;
  plan?: string;
  patch?: Triple;
  batch?: number;
  blocks: boolean;
  json: boolean;
}

const positiveInt = (v: string, name: string): number => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, got '${v}'`);
  return n;
};
const intList = (v: string, name: string): number[] => v.split(',').map((s) => positiveInt(s.trim(), name));
const triple = (v: string, name: string, parse: (s: string) => number): Triple => {
  const parts = v.split(',').map((s) => parse(s.trim()));
  if (parts.length === 1) return [parts[0]!, parts[0]!, parts[0]!];
  if (parts.length !== 3) throw new UsageError(`--${name} takes one number or three (D,H,W), got '${v}'`);
  return parts as Triple;
};

/** The parsed command line as a model request; throws UsageError for values that do not fit together. */
export function modelRequest(v: ModelOptions): ModelRequest {
  const arch = v.arch;
  if (arch !== 'psp' && arch !== 'plain') throw new UsageError(`--arch must be psp or plain, got '${arch}'`);
  if (v.variant !== undefined && !['S', 'B', 'L'].includes(v.variant)) throw new UsageError(`--variant must be S, B or L, got '${v.variant}'`);
  if (v.branches !== undefined && !isBranchCount(v.branches)) throw new UsageError(`--branches must be 1, 4 or 7, got '${v.branches}'`);
  const given = (o: keyof ModelOptions): boolean => v[o] !== undefined && v[o] !== false;
  if (arch === 'plain') {
    for (const o of ['variant', 'branches', 'ratio', 'norm-affine'] as const)
      if (given(o)) throw new UsageError(`--${o} applies to PSP-Seg only (--arch psp)`);
  } else if (v.spacing !== undefined) throw new UsageError('--spacing applies to PlainUNet only (--arch plain)');
  if (v.from !== undefined) {
    const clash = (['variant', 'branches', 'ratio', 'features', 'norm-affine', 'in', 'classes', 'no-deep-supervision', 'spacing', 'plan'] as const)
      .filter(given);
    if (clash.length) throw new UsageError(`--from reads the whole architecture from the file; drop ${clash.map((o) => `--${o}`).join(', ')}`);
  }
  const spacing = v.spacing === undefined ? undefined : triple(v.spacing, 'spacing', (s) => {
    const n = Number(s);
    if (!(n > 0)) throw new UsageError(`--spacing must be positive numbers, got '${v.spacing}'`);
    return n;
  });
  return {
    arch, variant: v.variant as ModelRequest['variant'], branches: v.branches as ModelRequest['branches'], ratio: v.ratio,
    features: v.features === undefined ? undefined : intList(v.features, 'features'),
    normAffine: v['norm-affine'],
    inChannels: v.in,
    classes: v.classes,
    deepSupervision: !v['no-deep-supervision'],
    spacing, from: v.from, plan: v.plan,
    patch: v.patch === undefined ? undefined : triple(v.patch, 'patch', (s) => positiveInt(s, 'patch')),
    batch: v.batch,
    blocks: v.blocks, json: v.json,
  };
}

/** The architecture, patch and batch a request describes (reads --from and --plan files). */
export async function resolveModel(r: ModelRequest): Promise<{ arch: Architecture; patch: Triple; batch: number }> {
  const plan: Plan | undefined = r.plan === undefined ? undefined : await loadPlan(r.plan);
  const patch = r.patch ?? (plan?.patchSize as Triple | undefined) ?? [128, 128, 128];
  const batch = r.batch ?? plan?.batchSize ?? 2;
  if (r.from !== undefined) return { arch: loadArchitecture(r.from), patch, batch };
  const inChannels = r.inChannels ?? plan?.channels.length ?? 1;
  const classes = r.classes ?? plan?.labels.length ?? 2;
  if (r.arch === 'psp') {
    return {
      arch: pspArchitecture({
        variant: r.variant, branches: r.branches, ratio: r.ratio, channels: r.features, inChannels, classes,
        deepSupervision: r.deepSupervision, normAffine: r.normAffine,
      }),
      patch, batch,
    };
  }
  const o = { channels: r.features, deepSupervision: r.deepSupervision };
  if (plan && r.patch === undefined) return { arch: { ...plainArchitectureFromPlan(plan, o, r.plan), inChannels, classes }, patch, batch };
  // nnU-Net's rules on the given patch (and the plan's spacing, or --spacing, or 1 mm).
  const spacing = r.spacing ?? (plan?.targetSpacing as Triple | undefined) ?? [1, 1, 1];
  const t = plainTopology(spacing, patch);
  if (r.features && r.features.length !== t.strides.length)
    throw new ArchitectureError(`--features lists ${r.features.length} stages; nnU-Net's topology for patch ${formatShape(patch)} and spacing ${formatShape(spacing)} has ${t.strides.length}`);
  return { arch: plainArchitecture(t, { ...o, inChannels, classes }), patch, batch };
}

const grouped = (n: number): string => n.toLocaleString('en-US');
export function formatBytes(b: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (b >= 1024 && i < units.length - 1) { b /= 1024; i++; }
  return `${b.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** The summary table and totals; `rows` from net.layout(patch, batch). */
export function formatModelSummary(net: SegmentationNetwork, arch: Architecture, rows: LayoutRow[], patch: Triple, batch: number, showBlocks: boolean): string {
  const shown = rows.filter((r) => showBlocks || r.depth === 0);
  const table = [['Module', 'Type', 'Output shape', 'Params', 'Activations', ''],
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
    `patch ${formatShape(patch)}, batch ${batch}; ${extra}`,
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
    const { arch, patch, batch } = await resolveModel(req);
    net = buildNetwork(arch);
    const rows = net.layout(patch, batch);
    console.log(formatModelSummary(net, arch, rows, patch, batch, req.blocks));
    const pruning = req.from === undefined ? null : pruningSummaryBeside(req.from);
    if (pruning) console.log(`\n${formatPruningSummary(pruning)}`);
    if (req.json) {
      console.log(JSON.stringify({
        name: net.displayName, architecture: net.architecture(), params: net.numParameters(), patch, batch,
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
