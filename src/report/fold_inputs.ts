/**
 * Everything a report is made from, read tolerantly from a model fold folder (as `pspseg train`
 * writes it) and the files it points to: config.json, architecture.json, training_log.jsonl (epoch
 * records and pruning events), progress.svg, pruning.svg, the checkpoints' trainer state (pruning
 * state), pruning_summary.json, the dataset's plan.json and dataset.json, and an evaluation (summary.json from `pspseg
 * evaluate`, by default <fold>/validation/summary.json) with its predict_log.json. A file that is
 * missing or unreadable leaves its part empty and is listed in `files`, so the report can say so.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { type Dataset, readDataset } from '../data/dataset/dataset.js';
import { PLAN_FILE } from '../data/dataset/work_dir.js';
import { loadPlan } from '../data/plan/plan_file.js';
import type { Plan } from '../data/plan/plan_schema.js';
import { type InferenceResources, readInferenceResources } from '../eval/resources.js';
import { type EvaluationSummary, parseSummaryJson } from '../eval/summary.js';
import { type PruningEvent, PruningEventSchema, type PruningState, parsePruningState } from '../pruning/state.js';
import { PRUNING_SUMMARY_FILE, type PruningSummaryFile, loadPruningSummary } from '../pruning/summary_file.js';
import { ARCHITECTURE_FILE, CONFIG_FILE, PROGRESS_FILE, checkpointStateFile, PRUNING_GRID_FILE, SUMMARY_FILE, TRAINING_LOG_FILE, VALIDATION_DIR } from '../models/model_folder.js';
import { type TrainConfig, loadConfig } from '../train/config.js';
import { type EpochLog, epochLogSchema } from '../train/training_log.js';
import { readSafetensorsMetadata } from './safetensors_header.js';

export const REPORT_FILE = 'report.html';

/** One input file and what became of it. */
export interface InputFile {
  /** What it is, e.g. 'training log'. */
  what: string;
  path: string;
  status: 'read' | 'missing' | 'unreadable';
  /** Why it could not be used, or what was skipped in it. */
  detail?: string;
  /** Without it the report lacks a section (false: only details). */
  optional: boolean;
}

/** The fields of architecture.json the report shows; other kinds are shown as they are. */
export const architectureViewSchema = z.object({
  kind: z.string(),
  variant: z.string().nullable().optional(),
  inChannels: z.number().optional(),
  classes: z.number().optional(),
  channels: z.array(z.number()).optional(),
  kernels: z.array(z.array(z.number())).optional(),
  ratio: z.number().optional(),
  deepSupervision: z.boolean().optional(),
  blocks: z.record(z.string(), z.array(z.string())).optional(),
}).passthrough();
export type ArchitectureView = z.infer<typeof architectureViewSchema>;

export interface FoldInputs {
  folder: string;
  config: TrainConfig | null;
  architecture: ArchitectureView | null;
  /** Epoch records in epoch order (the last record of an epoch counts). */
  epochs: EpochLog[];
  pruningEvents: PruningEvent[];
  /** The newest checkpoint's pruning state (block states per epoch), when there is one. */
  pruningState: PruningState | null;
  /** pruning_summary.json: the final architecture and how pruning ended, written after training. */
  pruningSummary: PruningSummaryFile | null;
  progressSvg: string | null;
  pruningSvg: string | null;
  plan: Plan | null;
  planFile: string | null;
  dataset: Dataset | null;
  summary: EvaluationSummary | null;
  summaryFile: string;
  inference: InferenceResources | null;
  files: InputFile[];
}

export interface ReadFoldOptions {
  /** summary.json to report (default <fold>/validation/summary.json). */
  summary?: string;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
/** Error texts often start with the path, which the report shows beside them anyway. */
const withoutPath = (text: string, path: string): string => (text.startsWith(`${path}: `) ? text.slice(path.length + 2) : text);

function readText(path: string): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

/** Epoch records and pruning events of a training_log.jsonl; lines that are neither are counted, not fatal. */
export function parseTrainingLogLines(text: string): { epochs: EpochLog[]; events: PruningEvent[]; skipped: string[] } {
  const byEpoch = new Map<number, EpochLog>();
  const events: PruningEvent[] = [];
  const skipped: string[] = [];
  const lenient = epochLogSchema.passthrough(); // a newer trainer may log more fields
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let raw: unknown;
    try { raw = JSON.parse(line); } catch { skipped.push(`line ${i + 1}: not JSON`); return; }
    if (raw && typeof raw === 'object' && (raw as { type?: unknown }).type === 'pruning') {
      const r = PruningEventSchema.safeParse(raw);
      if (r.success) events.push(r.data); else skipped.push(`line ${i + 1}: pruning record: ${r.error.issues[0]!.path.join('.')} ${r.error.issues[0]!.message}`);
      return;
    }
    const r = lenient.safeParse(raw);
    if (r.success) byEpoch.set(r.data.epoch, r.data as EpochLog);
    else skipped.push(`line ${i + 1}: ${r.error.issues[0]!.path.join('.')} ${r.error.issues[0]!.message}`);
  });
  const epochs = [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
  return { epochs, events, skipped };
}

/** The pruning state of the newest checkpoint that has one (final, latest, best), and any state file that could not be read. */
function readPruningState(folder: string): { state: PruningState | null; path: string | null; problems: { path: string; message: string }[] } {
  let best: { state: PruningState; epoch: number; path: string } | null = null;
  const problems: { path: string; message: string }[] = [];
  for (const kind of ['final', 'latest', 'best'] as const) {
    const path = checkpointStateFile(folder, kind);
    if (!existsSync(path)) continue;
    try {
      const trainer = readSafetensorsMetadata(path).trainer;
      if (!trainer) continue;
      const parsed = JSON.parse(trainer) as { epoch?: number; pruning?: unknown };
      if (parsed.pruning === null || parsed.pruning === undefined) continue;
      const state = parsePruningState(parsed.pruning, path);
      const epoch = parsed.epoch ?? 0;
      if (!best || epoch > best.epoch) best = { state, epoch, path };
    } catch (err) {
      problems.push({ path, message: withoutPath(message(err), path) });
    }
  }
  return { state: best?.state ?? null, path: best?.path ?? null, problems };
}

export async function readFoldInputs(folderIn: string, o: ReadFoldOptions = {}): Promise<FoldInputs> {
  const folder = resolve(folderIn);
  if (!existsSync(folder)) throw new Error(`${folder}: no such model folder`);
  const files: InputFile[] = [];
  const note = (f: InputFile) => { files.push(f); };

  // config.json
  const configPath = join(folder, CONFIG_FILE);
  let config: TrainConfig | null = null;
  if (!existsSync(configPath)) note({ what: 'training configuration', path: configPath, status: 'missing', optional: false });
  else {
    try { config = await loadConfig(configPath); note({ what: 'training configuration', path: configPath, status: 'read', optional: false }); } catch (err) {
      note({ what: 'training configuration', path: configPath, status: 'unreadable', detail: withoutPath(message(err), configPath), optional: false });
    }
  }

  // architecture.json
  const archPath = join(folder, ARCHITECTURE_FILE);
  let architecture: ArchitectureView | null = null;
  const archText = readText(archPath);
  if (archText === null) note({ what: 'network architecture', path: archPath, status: 'missing', optional: false });
  else {
    try {
      const r = architectureViewSchema.safeParse(JSON.parse(archText));
      if (!r.success) throw new Error(`${r.error.issues[0]!.path.join('.') || 'the file'}: ${r.error.issues[0]!.message}`);
      architecture = r.data;
      note({ what: 'network architecture', path: archPath, status: 'read', optional: false });
    } catch (err) {
      note({ what: 'network architecture', path: archPath, status: 'unreadable', detail: message(err), optional: false });
    }
  }

  // training_log.jsonl
  const logPath = join(folder, TRAINING_LOG_FILE);
  let epochs: EpochLog[] = [];
  let pruningEvents: PruningEvent[] = [];
  const logText = readText(logPath);
  if (logText === null) note({ what: 'training log', path: logPath, status: 'missing', optional: false });
  else {
    const parsed = parseTrainingLogLines(logText);
    epochs = parsed.epochs;
    pruningEvents = parsed.events;
    const detail = parsed.skipped.length ? `${parsed.skipped.length} line(s) not understood: ${parsed.skipped.slice(0, 3).join('; ')}` : undefined;
    note({ what: 'training log', path: logPath, status: epochs.length || pruningEvents.length ? 'read' : 'unreadable', detail, optional: false });
  }

  // progress.svg, pruning.svg
  const progressPath = join(folder, PROGRESS_FILE);
  const progressSvg = readText(progressPath);
  note({ what: 'training progress plot', path: progressPath, status: progressSvg === null ? 'missing' : 'read', optional: true,
    detail: progressSvg === null ? 'the curves are drawn from the training log' : undefined });
  const gridPath = join(folder, PRUNING_GRID_FILE);
  const pruningSvg = readText(gridPath);
  const ps = readPruningState(folder);
  if (pruningSvg !== null) note({ what: 'pruning grid', path: gridPath, status: 'read', optional: true,
    detail: ps.state ? `the report redraws it from ${ps.path}` : undefined });
  else if (pruningEvents.length || ps.state) note({ what: 'pruning grid', path: gridPath, status: 'missing', optional: true,
    detail: ps.state ? `redrawn from ${ps.path}` : 'no checkpoint holds a pruning state to redraw it from' });
  for (const p of ps.problems) note({ what: 'checkpoint state', path: p.path, status: 'unreadable', detail: p.message, optional: true });
  const summaryPath = join(folder, PRUNING_SUMMARY_FILE);
  let pruningSummary: PruningSummaryFile | null = null;
  if (existsSync(summaryPath)) {
    try { pruningSummary = loadPruningSummary(summaryPath); note({ what: 'pruning summary', path: summaryPath, status: 'read', optional: true }); } catch (err) {
      note({ what: 'pruning summary', path: summaryPath, status: 'unreadable', detail: withoutPath(message(err), summaryPath), optional: true });
    }
  } else if (architecture?.kind === 'psp') {
    note({ what: 'pruning summary', path: summaryPath, status: 'missing', optional: true, detail: 'written when training finishes' });
  }

  // plan.json and dataset.json
  const planCandidates = [
    ...(config ? [join(config.dataset.workDir, PLAN_FILE)] : []),
    join(folder, PLAN_FILE),
    join(folder, '..', '..', '..', PLAN_FILE),
  ].map((p) => resolve(p));
  const planFile = planCandidates.find((p) => existsSync(p)) ?? null;
  let plan: Plan | null = null;
  if (!planFile) note({ what: 'plan', path: planCandidates[0]!, status: 'missing', optional: false, detail: `also looked for ${planCandidates.slice(1).join(', ')}` });
  else {
    try { plan = await loadPlan(planFile); note({ what: 'plan', path: planFile, status: 'read', optional: false }); } catch (err) {
      note({ what: 'plan', path: planFile, status: 'unreadable', detail: withoutPath(message(err), planFile), optional: false });
    }
  }
  let dataset: Dataset | null = null;
  if (plan) {
    const jsonPath = join(plan.dataset.root, 'dataset.json');
    try { dataset = readDataset(plan.dataset.root); note({ what: 'dataset description', path: dataset.datasetJson, status: 'read', optional: false }); } catch (err) {
      note({ what: 'dataset description', path: jsonPath, status: existsSync(jsonPath) ? 'unreadable' : 'missing', detail: withoutPath(message(err), jsonPath), optional: false });
    }
  }

  // the evaluation
  const summaryFile = resolve(o.summary ?? join(folder, VALIDATION_DIR, SUMMARY_FILE));
  let summary: EvaluationSummary | null = null;
  let inference: InferenceResources | null = null;
  const summaryText = readText(summaryFile);
  if (summaryText === null) {
    if (o.summary) throw new Error(`${summaryFile}: no such evaluation summary`);
    note({ what: 'evaluation summary', path: summaryFile, status: 'missing', optional: true });
  } else {
    try {
      summary = parseSummaryJson(summaryText);
      if (!Array.isArray(summary.metric_per_case) || !summary.mean) throw new Error('not a summary written by pspseg evaluate (metric_per_case, mean)');
      note({ what: 'evaluation summary', path: summaryFile, status: 'read', optional: true });
    } catch (err) {
      summary = null;
      note({ what: 'evaluation summary', path: summaryFile, status: 'unreadable', detail: message(err), optional: true });
    }
    inference = summary?.resources?.inference ?? null;
    if (!inference) {
      try { inference = readInferenceResources(dirname(summaryFile)); } catch (err) {
        note({ what: 'prediction log', path: join(dirname(summaryFile), 'predict_log.json'), status: 'unreadable', detail: message(err), optional: true });
      }
    }
    if (summary && !inference) note({ what: 'prediction log', path: join(dirname(summaryFile), 'predict_log.json'), status: 'missing', optional: true, detail: 'no inference time or memory' });
  }

  return {
    folder, config, architecture, epochs, pruningEvents, pruningState: ps.state, pruningSummary, progressSvg, pruningSvg,
    plan, planFile, dataset, summary, summaryFile, inference, files,
  };
}
