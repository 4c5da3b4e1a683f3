/**
 * `pspseg train`'s options: one table, from which come the usage text (src/cli/commands/train.ts),
 * the checks of the options together (before anything loads), the run's settings (config.json) and
 * the check that a continued run is given no setting it did not start with.
 *
 * A row with a `field` is a setting: its value goes to that path of config.json, transformed by
 * `toField` (a patch typed per image axis becomes the network's axis order, a file name its content);
 * when it is not given, the field gets `default`, or what `derive` computes from the rows before it
 * (rows apply in table order) and the plan. `runtime` settings (device, workers) may change when a run
 * continues; any other setting given with --continue must equal what config.json holds. A row
 * without a field either names the run (`run`: fold, name, continue, force, quiet) or shapes the
 * defaults of other rows (--prune-paper).
 *
 * Adding a training option is adding a row here (and reading the field where it acts).
 */
import { resolve } from 'node:path';
import type { Plan } from '../data/plan/plan_schema.js';
import { LOSS_NAMES, RL_VARIANTS } from '../losses/config.js';
import type { Architecture } from '../models/architecture.js';
import { PSP_VARIANT_NAMES } from '../models/psp_variants.js';
import { DEFAULT_PRUNING, MONITORED_LOGS, PAPER_PRUNING_VALUES, initialStepFor } from '../pruning/settings.js';
import { type OptionSpec, type OptionValues, UsageError, formatOptionValue } from '../util/options.js';
import type { Triple } from '../util/triple.js';
import { fromXYZ, xyzOrder } from '../data/common/axes.js';
import { PRECISION_CHOICES, type PrecisionChoice, resolvePrecision } from '../tensor/precision.js';
import { DEFAULTS, type TrainConfig } from './config.js';

type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** What a default or a transformation may look at. */
export interface TrainOptionContext {
  /** The options given (TrainOptions; typed loosely here, as the table's own type depends on this one). */
  given: Readonly<Record<string, unknown>>;
  /** The settings made so far from the rows above. */
  config: DeepPartial<TrainConfig>;
  plan: Plan;
  /** The architecture of --architecture FILE (masked blocks deleted), or null. */
  architecture: Architecture | null;
}

type TrainOptionRow = OptionSpec & {
  /** Path of the setting in config.json. */
  field?: string;
  /** A setting a continued run may change (where it runs, not what it computes). */
  runtime?: boolean;
  /** Names this run only (which fold, which folder, how it reports): allowed with --continue. */
  run?: true;
  /** The setting's value when the option is not given (rows apply in order); `defaultText` says it. */
  derive?: (c: TrainOptionContext) => unknown;
  /** The option's value as the setting stores it (default: as it is). */
  toField?: (value: never, c: TrainOptionContext) => unknown;
  /** A stored setting as the option would be typed, for messages (default: as it is). */
  fromField?: (stored: never, c: TrainOptionContext) => unknown;
};

const network = (c: TrainOptionContext) => c.config.network ?? {};
const isPsp = (c: TrainOptionContext) => network(c).arch === 'psp';

export const TRAIN_OPTIONS = {
  arch: {
    type: 'choice', values: ['psp', 'plain', 'small'], field: 'network.arch', derive: (c) => c.architecture?.kind ?? 'psp',
    defaultText: 'psp, or the kind of --architecture', help: "psp (PSP-Seg), plain (nnU-Net's U-Net) or small (a small plain U-Net for quick tries)",
  },
  variant: {
    type: 'choice', values: PSP_VARIANT_NAMES, field: 'network.variant',
    derive: (c) => (!isPsp(c) ? null : c.architecture?.kind === 'psp' ? c.architecture.variant : 'S'), defaultText: 'S', help: 'PSP-Seg size',
  },
  architecture: {
    type: 'string', placeholder: 'FILE', field: 'network.architecture', toField: (_: string, c) => c.architecture, derive: () => null,
    fromField: () => 'the architecture the run started with',
    help: 'train this architecture.json (e.g. a pruned model) from scratch, pruning off',
  },
  pretrained: {
    type: 'string', placeholder: 'WEIGHTS', field: 'network.pretrained', toField: (v: string) => resolve(v), derive: () => null,
    help: 'initialise from a safetensors file: tensors of matching name and shape (others, e.g. the stem and heads for another dataset, are skipped)',
  },
  'no-deep-supervision': {
    type: 'boolean', field: 'network.deepSupervision', toField: () => false,
    derive: (c) => c.architecture?.deepSupervision ?? network(c).arch !== 'small', fromField: (on: boolean) => `deep supervision ${on ? 'on' : 'off'}`,
    help: 'train without the deep-supervision heads',
  },
  fold: { type: 'string', run: true, default: '0', placeholder: 'N|all', pattern: /^(\d+|all)$/, patternText: 'a fold number or all', help: 'cross-validation fold; all trains and validates on every case' },
  epochs: { type: 'integer', min: 1, field: 'epochs', default: DEFAULTS.epochs, help: 'epochs' },
  iterations: { type: 'integer', min: 1, field: 'iterations', default: DEFAULTS.iterations, help: 'training iterations per epoch' },
  'val-iterations': {
    type: 'integer', min: 1, field: 'valIterations',
    derive: (c) => Math.min(DEFAULTS.valIterations, Math.ceil((c.config.iterations ?? DEFAULTS.iterations) / 5)),
    defaultText: `${DEFAULTS.valIterations}, or a fifth of --iterations when that is fewer (nnU-Net's 50 per 250)`, help: 'validation batches per epoch',
  },
  batch: { type: 'integer', min: 1, field: 'batchSize', derive: (c) => c.plan.batchSize, defaultText: "the plan's", help: 'batch size' },
  patch: {
    type: 'xyz', integer: true, min: 1, field: 'patchSize', derive: (c) => [...c.plan.patchSize],
    toField: (v: Triple, c) => fromXYZ(v, c.plan.transposeForward), fromField: (v: Triple, c) => xyzOrder(v, c.plan.transposeForward),
    defaultText: "the plan's", help: 'patch size per image axis x, y, z as plan.json and `pspseg plan` show it (one number: a cube)',
  },
  optimizer: { type: 'choice', values: ['sgd', 'adamw'], field: 'optimizer.name', default: 'sgd', help: 'sgd (momentum 0.99, Nesterov, weight decay 3e-5) or adamw' },
  lr: {
    type: 'number', min: 0, exclusiveMin: true, placeholder: 'X', field: 'optimizer.lr', derive: (c) => DEFAULTS[c.config.optimizer?.name ?? 'sgd'].lr,
    defaultText: `${DEFAULTS.sgd.lr} for sgd, ${DEFAULTS.adamw.lr} for adamw`, help: "initial learning rate (the PSP-Seg authors' pruning runs used 1e-3)",
  },
  'grad-clip': { type: 'number', min: 0, exclusiveMin: true, placeholder: 'X', field: 'gradClip', default: DEFAULTS.gradClip, help: 'gradient-norm clipping threshold' },
  loss: {
    type: 'choice', values: LOSS_NAMES, field: 'loss.name', derive: (c) => (isPsp(c) ? 'psp' : 'dice_ce'),
    defaultText: 'psp for --arch psp, else dice_ce', help: 'psp (Dice+CE + lambda-tr TR + lambda-rl RL) or dice_ce',
  },
  'lambda-tr': { type: 'number', min: 0, placeholder: 'X', field: 'loss.lambdaTR', default: DEFAULTS.lambdaTR, help: 'weight of the TR (target representation) loss' },
  'lambda-rl': { type: 'number', min: 0, placeholder: 'X', field: 'loss.lambdaRL', default: DEFAULTS.lambdaRL, help: 'weight of the RL (region localisation) loss' },
  'rl-variant': { type: 'choice', values: RL_VARIANTS, field: 'loss.rlVariant', default: 'code', help: "RL on decoder stage 1's map (the authors' code) or on every decoder stage (the paper)" },
  'no-prune': {
    type: 'boolean', field: 'pruning.enabled', toField: () => false, derive: (c) => isPsp(c) && c.architecture === null, fromField: (on: boolean) => `pruning ${on ? 'on' : 'off'}`,
    help: 'train PSP-Seg without progressive pruning (on by default for --arch psp)',
  },
  'prune-paper': { type: 'boolean', help: "pruning with the paper's values where they differ from the code's (delta 0.01, watching TR and RL only)" },
  'prune-window': { type: 'integer', min: 1, placeholder: 'W', field: 'pruning.window', default: DEFAULT_PRUNING.window, help: 'pruning: convergence window in epochs' },
  'prune-delta': {
    type: 'number', min: 0, placeholder: 'X', field: 'pruning.delta', derive: (c) => (c.given['prune-paper'] ? PAPER_PRUNING_VALUES.delta : DEFAULT_PRUNING.delta),
    defaultText: `${DEFAULT_PRUNING.delta} (the authors' code; --prune-paper: ${PAPER_PRUNING_VALUES.delta})`, help: 'pruning: over-pruning margin',
  },
  'prune-step': {
    type: 'integer', min: 1, placeholder: 'S', field: 'pruning.initialStep', derive: (c) => initialStepFor(network(c).variant ?? 'S'),
    defaultText: `${initialStepFor('S')} for S and B, ${initialStepFor('L')} for L`, help: 'pruning: initial prune step (blocks masked per PRM per event)',
  },
  'prune-calibration-batches': { type: 'integer', min: 1, placeholder: 'N', field: 'pruning.calibrationBatches', default: DEFAULT_PRUNING.calibrationBatches, help: 'pruning: training batches of the block search' },
  'prune-stop-fraction': { type: 'number', min: 0, max: 1, placeholder: 'F', field: 'pruning.stopFraction', default: DEFAULT_PRUNING.stopFraction, help: 'pruning: stops for good after this fraction of the epochs' },
  'prune-monitor': {
    type: 'choices', values: MONITORED_LOGS, field: 'pruning.monitored',
    derive: (c) => (c.given['prune-paper'] ? [...PAPER_PRUNING_VALUES.monitored] : c.config.loss?.name === 'dice_ce' ? ['loss'] : [...DEFAULT_PRUNING.monitored]),
    defaultText: `${DEFAULT_PRUNING.monitored.join(',')} (--loss dice_ce: loss; --prune-paper: ${PAPER_PRUNING_VALUES.monitored.join(',')})`,
    help: 'pruning: the epoch logs the convergence and over-pruning checks watch',
  },
  seed: { type: 'integer', min: 0, field: 'seed', default: DEFAULTS.seed, help: 'random seed' },
  name: {
    type: 'string', run: true, placeholder: 'NAME', pattern: /^[A-Za-z0-9._-]+$/, patternText: "letters, digits, '.', '_' and '-'",
    defaultText: 'psp_S (psp_S_noprune, psp_S_scratch), plain or small', help: 'model folder name',
  },
  continue: { type: 'boolean', run: true, help: 'resume the run in the fold folder from its newest complete checkpoint' },
  force: { type: 'boolean', run: true, help: 'start over although the fold folder holds a run' },
  device: {
    type: 'string', field: 'runtime.device', runtime: true, default: 'cpu', placeholder: 'D', pattern: /^(cpu|cuda(:\d+)?)$/, patternText: 'cpu, cuda or cuda:N',
    help: 'where to train',
  },
  precision: {
    type: 'choice', values: PRECISION_CHOICES, field: 'runtime.precision', runtime: true, placeholder: 'P',
    toField: (v: PrecisionChoice, c) => resolvePrecision(v, c.config.runtime?.device ?? 'cpu'),
    derive: (c) => resolvePrecision('auto', c.config.runtime?.device ?? 'cpu'), defaultText: 'auto',
    help: 'auto (fp16 on CUDA; on a CPU bf16 where it computes bfloat16 natively, else fp32), fp32, bf16 (autocast to bfloat16: CPU, CUDA) or fp16 (CUDA, with loss scaling)',
  },
  workers: { type: 'integer', min: 0, field: 'runtime.workers', runtime: true, derive: () => null, defaultText: 'cores - 1, at most 4', help: 'data loader worker threads' },
  quiet: { type: 'boolean', run: true, help: 'no progress bars' },
  'nproc-per-node': {
    type: 'integer', min: 1, run: true, placeholder: 'N', default: 1,
    help: 'data-parallel: N worker processes on this machine (c10d, like torchrun; the batch is split over all ranks, CPU ranks share the cores)',
  },
  nnodes: { type: 'integer', min: 1, run: true, placeholder: 'M', default: 1, help: 'data-parallel: machines taking part (each runs this command with its --node-rank)' },
  'node-rank': { type: 'integer', min: 0, run: true, placeholder: 'R', default: 0, help: "data-parallel: this machine's index, 0..M-1 (0 serves the rendezvous)" },
  master: {
    type: 'string', run: true, placeholder: 'HOST:PORT', pattern: /^[^\s:]+:\d+$/, patternText: 'HOST:PORT',
    defaultText: '127.0.0.1 and a free port (one machine)', help: 'data-parallel: where node 0 serves the rendezvous (needed with --nnodes > 1)',
  },
} as const satisfies Record<string, TrainOptionRow>;

/** Train's options as given (absent: not given). */
export type TrainOptions = Partial<OptionValues<typeof TRAIN_OPTIONS>>;
type Flag = keyof typeof TRAIN_OPTIONS & string;
const rows = Object.entries(TRAIN_OPTIONS) as [Flag, TrainOptionRow][];

const PRUNING_FLAGS = rows.map(([f]) => f).filter((f) => f.startsWith('prune-'));

/**
 * Options that exclude or need each other, checked before anything loads. The checks that need the
 * data (an --architecture file's kind and classes, a patch the network cannot take) come later.
 */
export function checkTrainOptions(g: TrainOptions): void {
  if (g.continue && g.force) throw new UsageError('--continue and --force exclude each other');
  if (g.variant !== undefined && g.arch !== undefined && g.arch !== 'psp') throw new UsageError(`--variant applies to --arch psp only (got --arch ${g.arch})`);
  if (g.variant !== undefined && g.architecture !== undefined) throw new UsageError('--variant and --architecture exclude each other (the file says what to build)');
  const pruning = PRUNING_FLAGS.filter((f) => g[f] !== undefined && g[f] !== false).map((f) => `--${f}`);
  const off = g['no-prune'] ? '--no-prune' : g.arch !== undefined && g.arch !== 'psp' ? `--arch ${g.arch} has no PRMs` : g.architecture !== undefined ? '--architecture trains a given architecture, pruning off' : null;
  if (off && pruning.length) throw new UsageError(`${pruning.join(', ')}: pruning is off (${off})`);
  const dice = g.loss === 'dice_ce' || (g.loss === undefined && g.arch !== undefined && g.arch !== 'psp');
  const watched = g['prune-monitor'] ?? (g['prune-paper'] ? PAPER_PRUNING_VALUES.monitored : undefined);
  if (dice && watched?.some((m) => m !== 'loss'))
    throw new UsageError(`${g['prune-monitor'] ? '--prune-monitor' : '--prune-paper'} watches ${watched.join(', ')}, but --loss dice_ce computes no TR or RL (watch loss only)`);
  if ((g.nnodes ?? 1) > 1 && g.master === undefined) throw new UsageError(`--nnodes ${g.nnodes}: give --master HOST:PORT, the address of node 0 that every machine can reach`);
  if (g['node-rank'] !== undefined && g['node-rank'] >= (g.nnodes ?? 1)) throw new UsageError(`--node-rank ${g['node-rank']} must be below --nnodes ${g.nnodes ?? 1}`);
  if (g.continue) {
    const shaping = rows.filter(([f, r]) => !r.field && !r.run && g[f] !== undefined && g[f] !== false).map(([f]) => `--${f}`);
    if (shaping.length) throw new UsageError(`${shaping.join(', ')}: a continued run keeps its settings; drop the option`);
  }
}

function getPath(o: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);
}
function setPath(o: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let at = o;
  for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
  at[keys[keys.length - 1]!] = value;
}

/** A given option's value as its field stores it; undefined when the option was not given (a flag not set). */
function givenFieldValue(row: TrainOptionRow, given: unknown, c: TrainOptionContext): unknown {
  if (given === undefined || given === false) return undefined;
  return row.toField ? (row.toField as (v: unknown, c: TrainOptionContext) => unknown)(given, c) : given;
}

/**
 * The settings the options make: every row with a field, in table order, gets its value (given,
 * default or derived) written into `base` (the fields no option sets). Returns `base`.
 */
export function applyTrainOptions(base: DeepPartial<TrainConfig>, ctx: Omit<TrainOptionContext, 'config'>): DeepPartial<TrainConfig> {
  const c: TrainOptionContext = { ...ctx, config: base };
  for (const [flag, row] of rows) {
    if (!row.field) continue;
    const value = givenFieldValue(row, c.given[flag], c) ?? (row.derive ? row.derive(c) : 'default' in row ? row.default : undefined);
    if (value !== undefined) setPath(base as Record<string, unknown>, row.field, value);
  }
  return base;
}

/** The option that sets a config field (to name it in messages about a bad value); undefined when none does. */
export function flagOfField(path: string): string | undefined {
  return rows.find(([, r]) => r.field === path)?.[0];
}

/**
 * A continued run keeps its settings: each setting given now must equal the stored one. Runtime
 * settings are taken over. Returns the stored config with the new runtime; throws naming the option,
 * the file and both values.
 */
export function continuedConfig(stored: TrainConfig, ctx: Omit<TrainOptionContext, 'config'> & { given: TrainOptions }, source: string): TrainConfig {
  // The runtime settings given now (device before precision: auto resolves on the new device).
  const runtime = { ...stored.runtime };
  const c: TrainOptionContext = { ...ctx, config: { ...stored, runtime } };
  for (const [flag, row] of rows) {
    const given = c.given[flag];
    const value = row.field ? givenFieldValue(row, given, c) : undefined;
    if (!row.field || value === undefined) continue;
    if (row.runtime) { setPath({ runtime } as Record<string, unknown>, row.field, value); continue; }
    const before = getPath(stored, row.field);
    if (JSON.stringify(value) === JSON.stringify(before)) continue;
    const shown = row.fromField ? (row.fromField as (v: unknown, c: TrainOptionContext) => unknown)(before, c) : before;
    const now = row.type === 'boolean' ? '' : ` ${formatOptionValue(given)}`;
    throw new Error(`--${flag}${now} differs from ${source} (${typeof shown === 'string' ? shown : formatOptionValue(shown)}); a continued run keeps its settings`);
  }
  return { ...stored, runtime };
}
