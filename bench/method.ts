/**
 * Method benchmark (`npm run bench:method`, issue 11 section 3): PSP-Seg's claims side by side on
 * hippocampus fold 0, every model trained with the same budget (epochs x iterations, patch, batch, lr,
 * seed, validation batches) in its own process, then its fold's validation cases predicted from the
 * NIfTI files and evaluated (Dice, NSD at 2 mm):
 *   plain            PlainUNet, nnU-Net's topology for the plan's spacing and the patch (hippocampus: 4 stages)
 *   psp_s            PSP-Seg S, pruning off
 *   psp_s_pruned     PSP-Seg S with progressive pruning
 *   psp_s_1branch    PSP-Seg S with one (1,1,1) branch per PRM (the paper's "no PRM" ablation), pruning off
 *   psp_s_retrained  psp_s_pruned's final architecture trained from scratch (`--architecture`)
 * and, at equal training time (users compare models at equal cost, not equal steps), the two PSP-Seg S runs
 * again with as many epochs as fit in PlainUNet's training time:
 *   psp_s_equal_time, psp_s_pruned_equal_time
 *     epochs = round(budget epochs x PlainUNet's epoch time / the equal-step run's epoch time), iterations per
 *     epoch, validation batches, lr schedule (poly over the longer run), pruning constants and seed unchanged; the
 *     pruned run's epochs get cheaper as it prunes, so it ends below PlainUNet's time (the table says by how much).
 * All PSP-Seg models train with the PSP-Seg loss (Dice + CE + 0.1 TR + 0.1 RL), PlainUNet with Dice + CE.
 * Then, at the paper's configuration (patch 128^3, 1 channel, 3 classes, batch 2), the training step's
 * time and peak memory of PlainUNet (6 stages, 31.2M parameters), PSP-Seg S and the pruned S
 * (bench/method_step.ts, each in its own process); a cube that does not fit in memory is replaced by the
 * next smaller one (96, then 64), said in the output. The memory guard's estimate for PlainUNet at 128^3 is
 * 25.8 GB against a measured 23.2 GB: on a 24 GB machine PSPSEG_MEMORY=26G lets it run (about 1 GB to spare).
 *
 * Output: the tables on stdout and in bench/results/method.md (BENCH_OUT), with the date, the machine,
 * the budget and which of the paper's claims hold here; the last line is one JSON object with every
 * row's figures (plain, psp_s, psp_s_pruned, psp_s_1branch, psp_s_retrained, psp_s_equal_time,
 * psp_s_pruned_equal_time, paper_config).
 *
 * Environment (defaults: the full run, the demo's schedule for every model, DEMO_SCHEDULES.demo in
 * src/cli/commands/demo_run.ts, so that the pruned row is the demo's training; 33 minutes measured on
 * the idle 2-core AVX-512 development VM):
 *   BENCH_EPOCHS, BENCH_ITERATIONS, BENCH_VAL_ITERATIONS: the budget of every model (the demo's);
 *   BENCH_PATCH (the demo's, from the plan's; one number n for n^3 or d,h,w), BENCH_BATCH, BENCH_LR (the demo's), BENCH_SEED (0);
 *   BENCH_PRUNE_WINDOW, BENCH_PRUNE_CALIBRATION, BENCH_PRUNE_DELTA, BENCH_PRUNE_MONITOR (comma-separated: loss, tr, rl):
 *   pruning scaled to the short run (the demo's);
 *   BENCH_VAL_CASES (all of the fold's, 42), BENCH_TTA (0: no mirroring at prediction; 1: mirroring);
 *   BENCH_PAPER_CUBES (128,96,64; none: leave the paper's configuration out), BENCH_PAPER_STEPS (3, after 1 warm-up), BENCH_MODELS (all; e.g. plain,psp_s);
 *   BENCH_DATASET ($PSPSEG_DATA/Task04_Hippocampus), BENCH_CASES (all), BENCH_WORK (a temporary folder,
 *   removed; when set, kept with every model), BENCH_WORKERS (loader default), BENCH_OUT.
 *   BENCH_SMOKE=1: everything at a tiny size (10 cases, the plan's patch, 1 epoch x 1 iteration, 1 validation
 *   case, cube 32, 1 step without warm-up), written to bench/results/method_smoke.md: checks that the benchmark runs.
 */
import { xyzOrder } from '../src/data/common/axes.js';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readDataset } from '../src/data/dataset/dataset.js';
import { prepareDataset } from '../src/data/plan/prepare.js';
import { allocatorFactor, type Architecture, type PspArchitecture, type Triple, loadArchitecture, plainIsotropic, pspArchitecture, saveArchitecture } from '../src/models/index.js';
import { engineConfig } from '../src/tensor/index.js';
import { writeFileAtomic } from '../src/util/atomic_write.js';
import { describeCpu } from '../src/util/cpu_info.js';
import { DEMO_SCHEDULES } from '../src/cli/commands/demo_run.js';
import { DEFAULT_PRUNING, type MonitoredLog } from '../src/pruning/index.js';
import type { ModelRequest, ModelResult } from './method_model.js';
import { numberSetting as env, smoke } from './smoke.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const list = (k: string, full: number[], tiny: number[]) =>
  (process.env[k] === 'none' ? [] : process.env[k] ? process.env[k]!.split(',').map(Number) : smoke ? tiny : full);

const datasetPath = resolve(process.env.BENCH_DATASET ?? join(process.env.PSPSEG_DATA ?? join(repo, '..', 'shared', 'data'), 'Task04_Hippocampus'));
const demo = DEMO_SCHEDULES.demo.options;
const budget = {
  epochs: env('BENCH_EPOCHS', demo.epochs!, 1),
  iterations: env('BENCH_ITERATIONS', demo.iterations!, 1),
  valIterations: env('BENCH_VAL_ITERATIONS', demo['val-iterations']!, 1),
  batch: env('BENCH_BATCH', demo.batch ?? 2, 2),
  lr: env('BENCH_LR', demo.lr ?? 1e-2, 1e-2),
  seed: env('BENCH_SEED', 0, 0),
};
const patchEnv = process.env.BENCH_PATCH;
const pruning = {
  window: env('BENCH_PRUNE_WINDOW', demo['prune-window'] ?? 1, 1),
  calibrationBatches: env('BENCH_PRUNE_CALIBRATION', demo['prune-calibration-batches'] ?? 8, 1),
  delta: env('BENCH_PRUNE_DELTA', demo['prune-delta'] ?? DEFAULT_PRUNING.delta, demo['prune-delta'] ?? DEFAULT_PRUNING.delta),
  monitored: (process.env.BENCH_PRUNE_MONITOR?.split(',') ?? demo['prune-monitor'] ?? ['loss', 'tr', 'rl']) as MonitoredLog[],
};
const valCases = process.env.BENCH_VAL_CASES ? Number(process.env.BENCH_VAL_CASES) : smoke ? 1 : null;
const tta = process.env.BENCH_TTA === '1';
const cubes = list('BENCH_PAPER_CUBES', [128, 96, 64], [32]);
const paperSteps = env('BENCH_PAPER_STEPS', 3, 1), paperWarmup = smoke ? 0 : 1;
const numCases = process.env.BENCH_CASES ? Number(process.env.BENCH_CASES) : smoke ? 10 : null;
const workers = process.env.BENCH_WORKERS === undefined ? undefined : Number(process.env.BENCH_WORKERS);
const outFile = resolve(process.env.BENCH_OUT ?? join(repo, 'bench', 'results', smoke ? 'method_smoke.md' : 'method.md'));

const MODELS = ['plain', 'psp_s', 'psp_s_pruned', 'psp_s_1branch', 'psp_s_retrained', 'psp_s_equal_time', 'psp_s_pruned_equal_time'] as const;
type ModelKey = (typeof MODELS)[number];
const wanted = new Set(process.env.BENCH_MODELS ? process.env.BENCH_MODELS.split(',') : MODELS);
const unknown = [...wanted].filter((m) => !(MODELS as readonly string[]).includes(m));
if (unknown.length) throw new Error(`BENCH_MODELS: unknown model(s) ${unknown.join(', ')}; the models are ${MODELS.join(', ')}`);
const TITLES: Record<ModelKey, string> = {
  plain: 'PlainUNet (nnU-Net topology)',
  psp_s: 'PSP-Seg S, no pruning',
  psp_s_pruned: 'PSP-Seg S, progressive pruning',
  psp_s_1branch: 'PSP-Seg S, 1 branch (no PRM)',
  psp_s_retrained: 'pruned S re-trained from scratch',
  psp_s_equal_time: 'PSP-Seg S, no pruning',
  psp_s_pruned_equal_time: 'PSP-Seg S, progressive pruning',
};
/** The equal-time runs and the equal-step run each one scales. */
const EQUAL_TIME: Partial<Record<ModelKey, ModelKey>> = { psp_s_equal_time: 'psp_s', psp_s_pruned_equal_time: 'psp_s_pruned' };
const equalStep = (k: ModelKey) => !(k in EQUAL_TIME);
/** The paper (abstract): PSP-Seg S against nnU-Net, fewer parameters, less GPU memory, less training time (%). */
const PAPER_CLAIMS = { params: [83, 87], memory: [42, 45], time: [29, 48] } as const;

/** Runs dist/bench/<script>.js with one JSON argument; its lines are echoed, the last one is the result. */
function runChild<T>(script: string, arg: unknown): Promise<T> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [join(repo, 'dist', 'bench', `${script}.js`), JSON.stringify(arg)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let last = '';
    createInterface({ input: child.stdout }).on('line', (l) => {
      if (last) console.log(last);
      last = l;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) {
        try { resolveRun(JSON.parse(last) as T); } catch { reject(new Error(`${script}: the last line is not JSON: ${last}`)); }
      } else {
        if (last) console.log(last);
        reject(new Error(`${script} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${signal === 'SIGKILL' ? ' (out of memory?)' : ''}`));
      }
    });
  });
}

const load0 = loadavg();
const start = performance.now();
const cfg = engineConfig();
const machine = `${describeCpu()}; ${(totalmem() / 2 ** 30).toFixed(0)} GB memory; libtorch ${cfg.torchVersion}, ${cfg.threads} threads`;
console.log(`bench:method${smoke ? ' (smoke)' : ''} on ${machine}`);

const dataset = readDataset(datasetPath);
const subset = numCases === null ? dataset : { ...dataset, cases: dataset.cases.slice(0, numCases) };
const work = process.env.BENCH_WORK ? resolve(process.env.BENCH_WORK) : mkdtempSync(join(tmpdir(), 'pspseg-bench-method-'));
if (!process.env.BENCH_WORK) {
  process.on('exit', () => rmSync(work, { recursive: true, force: true }));
  process.on('SIGINT', () => process.exit(130)); // the temporary folder goes on Ctrl-C too
}
const { plan } = await prepareDataset(subset, { workDir: work, progress: false, print: (l) => console.log(`  ${l}`) });
// Per image axis x, y, z, as `pspseg train --patch` takes it (BENCH_PATCH too). Smoke: the plan's patch, so that
// a validation case is one window. Libtorch 1.13's forward at batch 1 (the sliding window's) costs several times a
// batch-2 one, so a smaller patch with more windows costs more.
const planPatch = xyzOrder(plan.patchSize, plan.transposeForward);
const patch: Triple = patchEnv === undefined ? ((smoke ? undefined : DEMO_SCHEDULES.demo.patch?.(planPatch)) ?? planPatch)
  : (patchEnv.includes(',') ? patchEnv.split(',').map(Number) : [0, 0, 0].map(() => Number(patchEnv))) as Triple;
const inChannels = plan.channels.length, classes = 1 + Math.max(...plan.labels.map((l) => l.value));
const archDir = join(work, 'method_architectures');
mkdirSync(archDir, { recursive: true });

const budgetText = `every model: ${budget.epochs} epochs x ${budget.iterations} iterations (${budget.epochs * budget.iterations} steps), batch ${budget.batch}, `
  + `patch ${patch.join('x')} (x, y, z), SGD lr ${budget.lr} (momentum 0.99, Nesterov, poly decay), seed ${budget.seed}, ${budget.valIterations} validation batches per epoch; `
  + 'loss: Dice + CE + 0.1 TR + 0.1 RL for the PSP-Seg models, Dice + CE for PlainUNet; '
  + `pruning (the pruned PSP-Seg S runs): window ${pruning.window}, ${pruning.calibrationBatches} calibration batches, delta ${pruning.delta}, watching ${pruning.monitored.join(', ')}, other constants the defaults; `
  + `fold 0 of ${subset.cases.length} cases, ${valCases === null ? 'all' : `the first ${valCases}`} validation cases predicted ${tta ? 'with' : 'without'} mirroring (final checkpoint)`;
console.log(budgetText);

// ---- the five models ----------------------------------------------------------------------------------
const base = {
  dataset: datasetPath, workDir: work, epochs: budget.epochs, iterations: budget.iterations, valIterations: budget.valIterations,
  batch: budget.batch, patch, lr: budget.lr, seed: budget.seed, workers, valCases, tta,
};
const oneBranchFile = join(archDir, 'psp_s_1branch.json');
saveArchitecture(oneBranchFile, pspArchitecture({ variant: 'S', branches: 1, inChannels, classes, deepSupervision: true }));
const requests: Record<ModelKey, () => ModelRequest> = {
  plain: () => ({ ...base, name: 'method_plain', arch: 'plain', prune: false }),
  psp_s: () => ({ ...base, name: 'method_psp_s', arch: 'psp', prune: false }),
  psp_s_pruned: () => ({ ...base, name: 'method_psp_s_pruned', arch: 'psp', prune: true, pruning }),
  psp_s_1branch: () => ({ ...base, name: 'method_psp_s_1branch', arch: 'psp', architecture: oneBranchFile, prune: false }),
  psp_s_retrained: () => ({ ...base, name: 'method_psp_s_retrained', arch: 'psp', architecture: prunedArchitectureFile(), prune: false }),
  psp_s_equal_time: () => ({ ...base, name: 'method_psp_s_equal_time', arch: 'psp', prune: false, epochs: equalTimeEpochs('psp_s') }),
  psp_s_pruned_equal_time: () => ({ ...base, name: 'method_psp_s_pruned_equal_time', arch: 'psp', prune: true, pruning, epochs: equalTimeEpochs('psp_s_pruned') }),
};
const results: Partial<Record<ModelKey, ModelResult>> = {};
const failures: Partial<Record<ModelKey, string>> = {};
/** The pruning run's final architecture, masked blocks deleted (what --architecture trains). */
function prunedArchitectureFile(): string {
  const dir = results.psp_s_pruned?.out_dir;
  if (!dir) throw new Error('psp_s_retrained and the pruned S of the paper configuration need psp_s_pruned (BENCH_MODELS)');
  const a = loadArchitecture(dir) as PspArchitecture;
  const blocks = Object.fromEntries(Object.entries(a.blocks).map(([m, s]) => [m, s.map((x) => (x === 'masked' ? 'deleted' as const : x))]));
  const file = join(archDir, 'psp_s_pruned.json');
  saveArchitecture(file, { ...a, blocks });
  return file;
}
/**
 * Epochs that fill PlainUNet's training time at the equal-step run's mean epoch time (searches and validation
 * batches included), never fewer than the budget's. The smoke run caps them at 2: it only checks the path.
 */
function equalTimeEpochs(ref: 'psp_s' | 'psp_s_pruned'): number {
  const plain = results.plain, run = results[ref];
  if (!plain || !run) throw new Error(`the equal-time rows need plain and ${ref} in BENCH_MODELS: their epoch times set the budget`);
  const epochs = Math.max(budget.epochs, Math.round((budget.epochs * plain.epoch_s) / run.epoch_s));
  return smoke ? Math.min(epochs, 2) : epochs;
}
const todo = MODELS.filter((m) => wanted.has(m));
for (const [i, key] of todo.entries()) {
  const t = performance.now();
  const title = equalStep(key) ? TITLES[key] : `${TITLES[key]}, PlainUNet's training time`;
  console.log(`\n[${i + 1}/${todo.length + 1}] ${title}: train, predict, evaluate (${((t - start) / 60000).toFixed(1)} min so far)`);
  try {
    const request = requests[key]();
    if (!equalStep(key)) console.log(`  ${request.epochs} epochs x ${request.iterations} iterations: PlainUNet's epoch ${results.plain!.epoch_s} s x ${budget.epochs} epochs at ${results[EQUAL_TIME[key]!]!.epoch_s} s an epoch`);
    results[key] = await runChild<ModelResult>('method_model', request);
  } catch (err) {
    // an hour-long run goes on without the model: its row says why
    failures[key] = (err as Error).message;
    console.log(`  ${TITLES[key]} failed: ${failures[key]}`);
    continue;
  }
  const r = results[key]!;
  console.log(`  ${r.params.toLocaleString('en-US')} parameters, step ${r.step_ms} ms, epoch ${r.epoch_s} s, peak ${r.peak_mb} MB, `
    + `Dice ${r.dice_mean.toFixed(3)}, NSD ${r.nsd_mean.toFixed(3)} (${((performance.now() - t) / 1000).toFixed(0)} s)`);
}

// ---- the paper's configuration: a training step at 128^3 (or the largest cube that fits) -----------------
interface StepResult { params: number; patch: Triple; batch: number; median_ms?: number; cpu_ms?: number; peak_rss_mb?: number; rss_before_mb?: number; estimate_mb: number; skipped?: string }
const paperNets: Record<string, Architecture | null> = {
  plain: plainIsotropic(6, { inChannels: 1, classes: 3 }),
  psp_s: pspArchitecture({ variant: 'S', inChannels: 1, classes: 3 }),
  psp_s_pruned: results.psp_s_pruned ? loadArchitecture(prunedArchitectureFile()) : null,
};
if (cubes.length) console.log(`\n[${todo.length + 1}/${todo.length + 1}] the paper's configuration: one training step, 1 channel, 3 classes, batch 2, cube ${cubes.join(' or ')}`);
const paper: Record<string, StepResult> = {};
const notes: string[] = [];
let cube = 0;
for (const c of cubes) {
  const got: Record<string, StepResult> = {};
  let failed = '';
  for (const [name, arch] of Object.entries(paperNets)) {
    if (!arch) continue;
    const file = join(archDir, `paper_${name}.json`);
    saveArchitecture(file, arch);
    try {
      const r = await runChild<StepResult>('method_step', { architecture: file, patch: [c, c, c], batch: 2, warmup: paperWarmup, steps: paperSteps });
      if (r.skipped) { failed = `${name}: ${r.skipped}`; break; }
      got[name] = r;
      console.log(`  ${c}^3 ${name}: ${r.params.toLocaleString('en-US')} parameters, step ${r.median_ms} ms (CPU ${r.cpu_ms} ms), peak ${r.peak_rss_mb} MB (estimate ${r.estimate_mb} MB)`);
    } catch (err) { failed = `${name}: ${(err as Error).message}`; break; }
  }
  if (!failed) { Object.assign(paper, got); cube = c; break; }
  notes.push(`cube ${c}^3 left out: ${failed}`);
  console.log(`  ${notes[notes.length - 1]}`);
}

// ---- claims ---------------------------------------------------------------------------------------------
const pct = (ours: number, ref: number) => 100 * (1 - ours / ref);
const f1 = (x: number) => x.toFixed(1);
const judge = (saving: number, [lo, hi]: readonly [number, number]) =>
  (saving >= lo && saving <= hi ? 'holds (within the range)' : saving > hi ? 'holds (more than claimed)' : 'does not hold (less than claimed)');
/** Paired over the validation cases both evaluated: mean difference of case Dice (a - b) and its standard error. */
function paired(a: ModelResult, b: ModelResult): { diff: number; se: number; n: number } {
  const d = Object.keys(a.case_dice).filter((id) => id in b.case_dice).map((id) => a.case_dice[id]! - b.case_dice[id]!).filter((x) => Number.isFinite(x));
  const n = d.length, mean = d.reduce((s, x) => s + x, 0) / n;
  const sd = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, n - 1));
  return { diff: mean, se: sd / Math.sqrt(n), n };
}
const claims: { claim: string; figures: string; verdict: string }[] = [];
/** Savings of the pruned S against PlainUNet; each figure with the words saying what it is. */
interface Figures { params: number; time: number; timeText: string; memory: number; memoryText: string }
const savingsClaims = (ours: Figures, ref: Figures, where: string) => {
  const s = { params: pct(ours.params, ref.params), time: pct(ours.time, ref.time), memory: pct(ours.memory, ref.memory) };
  claims.push({ claim: `${where}: 83-87% fewer parameters than nnU-Net`, figures: `${f1(s.params)}% (${ours.params.toLocaleString('en-US')} vs ${ref.params.toLocaleString('en-US')})`, verdict: judge(s.params, PAPER_CLAIMS.params) });
  claims.push({ claim: `${where}: 42-45% less memory`, figures: `${f1(s.memory)}% (${ours.memoryText} vs ${ref.memoryText})`, verdict: judge(s.memory, PAPER_CLAIMS.memory) });
  claims.push({ claim: `${where}: 29-48% less training time`, figures: `${f1(s.time)}% (${ours.timeText} vs ${ref.timeText})`, verdict: judge(s.time, PAPER_CLAIMS.time) });
};
const R = results;
if (R.plain && R.psp_s_pruned) {
  // Time: the mean epoch over the whole pruning run (the paper's "training time per epoch"; searches included).
  // Memory: the pruning run peaks with the unpruned network at its start; the paper's figure for S is the
  // pruned model's, which is what the re-trained model's process holds (the same architecture, no pruning).
  const alone = R.psp_s_retrained;
  savingsClaims({
    params: R.psp_s_pruned.params, time: R.psp_s_pruned.epoch_s, timeText: `epoch ${R.psp_s_pruned.epoch_s} s`,
    memory: (alone ?? R.psp_s_pruned).peak_mb, memoryText: `peak ${(alone ?? R.psp_s_pruned).peak_mb} MB${alone ? ', the pruned architecture re-trained' : ', the pruning run'}`,
  }, { params: R.plain.params, time: R.plain.epoch_s, timeText: `${R.plain.epoch_s} s`, memory: R.plain.peak_mb, memoryText: `${R.plain.peak_mb} MB` },
  `hippocampus (patch ${patch.join('x')}), pruned S vs PlainUNet`);
}
if (paper.plain && paper.psp_s_pruned) {
  const a = paper.psp_s_pruned, b = paper.plain;
  savingsClaims({ params: a.params, time: a.median_ms!, timeText: `step ${a.median_ms} ms`, memory: a.peak_rss_mb!, memoryText: `peak ${a.peak_rss_mb} MB` },
    { params: b.params, time: b.median_ms!, timeText: `${b.median_ms} ms`, memory: b.peak_rss_mb!, memoryText: `${b.peak_rss_mb} MB` },
    `paper configuration (${cube}^3), pruned S vs PlainUNet 6 stages`);
}
const diffClaim = (claim: string, a: ModelResult | undefined, b: ModelResult | undefined, want: 'higher' | 'not lower' | 'lower') => {
  if (!a || !b) return;
  const p = paired(a, b);
  const sig = p.diff > 2 * p.se ? 'higher' : p.diff < -2 * p.se ? 'lower' : 'no clear difference';
  const ok = want === 'not lower' ? sig !== 'lower' : sig === want;
  claims.push({ claim, figures: `mean Dice ${a.dice_mean.toFixed(3)} vs ${b.dice_mean.toFixed(3)}; paired per case ${p.diff >= 0 ? '+' : ''}${p.diff.toFixed(3)} ± ${p.se.toFixed(3)} (SE, ${p.n} cases): ${sig}`, verdict: ok ? 'holds' : 'does not hold' });
};
diffClaim('PSP-Seg S (pruned) performs on par with nnU-Net (Dice not lower)', R.psp_s_pruned, R.plain, 'not lower');
diffClaim('pruning keeps the accuracy of the unpruned S (Dice not lower)', R.psp_s_pruned, R.psp_s, 'not lower');
diffClaim('the PRM improves accuracy over one branch (S unpruned higher than 1 branch)', R.psp_s, R.psp_s_1branch, 'higher');
diffClaim('the compact model re-trained from scratch underperforms the pruned one', R.psp_s_retrained, R.psp_s_pruned, 'lower');
diffClaim('at PlainUNet\'s training time, PSP-Seg S (pruned) performs on par with nnU-Net (Dice not lower)', R.psp_s_pruned_equal_time, R.plain, 'not lower');
diffClaim('at PlainUNet\'s training time, PSP-Seg S without pruning performs on par with nnU-Net (Dice not lower)', R.psp_s_equal_time, R.plain, 'not lower');
diffClaim('at PlainUNet\'s training time, pruning keeps the accuracy of the unpruned S (Dice not lower)', R.psp_s_pruned_equal_time, R.psp_s_equal_time, 'not lower');

// ---- the report -------------------------------------------------------------------------------------------
const labels = Object.values(results)[0]?.labels ?? plan.labels.filter((l) => l.value > 0).map((l) => l.name);
const n = (x: number) => x.toLocaleString('en-US');
const rows = todo.filter(equalStep).map((k) => {
  const r = results[k];
  if (!r) return `| ${TITLES[k]} | failed: ${failures[k]} | | | | | |`;
  const params = r.params_start !== r.params ? `${n(r.params_start)} -> ${n(r.params)}` : n(r.params);
  const step = r.step_ms_last !== r.step_ms && k === 'psp_s_pruned' ? `${r.step_ms} (last epoch ${r.step_ms_last})` : String(r.step_ms);
  return `| ${TITLES[k]} | ${params} | ${step} | ${r.peak_mb} | ${r.epoch_s} | ${r.dice.map((d) => d.toFixed(3)).join(', ')}, **${r.dice_mean.toFixed(3)}** | ${r.nsd.map((d) => d.toFixed(3)).join(', ')}, **${r.nsd_mean.toFixed(3)}** |`;
});
const equalTimeKeys = todo.filter((k) => !equalStep(k));
const dice = (r: ModelResult) => `${r.dice.map((d) => d.toFixed(3)).join(', ')}, **${r.dice_mean.toFixed(3)}**`;
const equalTimeRows = R.plain && equalTimeKeys.length ? [R.plain, ...equalTimeKeys.map((k) => R[k] ?? k)].map((r) => {
  if (typeof r === 'string') return `| ${TITLES[r as ModelKey]} | failed: ${failures[r as ModelKey]} | | | | | |`;
  const title = r === R.plain ? TITLES.plain : TITLES[equalTimeKeys.find((k) => R[k] === r)!];
  const params = r.params_start !== r.params ? `${n(r.params_start)} -> ${n(r.params)}` : n(r.params);
  return `| ${title} | ${r.epochs} x ${budget.iterations} (${n(r.epochs * budget.iterations)}) | ${r.epochs_total_s} | ${(r.epochs_total_s / R.plain!.epochs_total_s).toFixed(2)} | ${params} | ${dice(r)} | ${r.nsd_mean.toFixed(3)} |`;
}) : [];
const paperRows = Object.entries(paper).map(([k, r]) => `| ${k === 'plain' ? 'PlainUNet, 6 stages' : k === 'psp_s' ? 'PSP-Seg S' : 'PSP-Seg S, pruned (this run\'s architecture)'} | ${n(r.params)} | ${r.median_ms} | ${r.cpu_ms} | ${r.peak_rss_mb} | ${r.estimate_mb} |`);
const wall = (performance.now() - start) / 1000;
const load1 = loadavg();
const md = [
  `# bench:method${smoke ? ' (smoke run: tiny budget, the figures say nothing about the method)' : ''}`,
  '',
  `- date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; wall time ${(wall / 60).toFixed(1)} min`,
  `- machine: ${machine}; load average ${load0.map((l) => l.toFixed(2)).join(' ')} at the start, ${load1.map((l) => l.toFixed(2)).join(' ')} at the end`,
  `- dataset: ${dataset.name}, fold 0 (nnU-Net's 5-fold split)`,
  `- budget: ${budgetText}`,
  '- step ms: training phase per iteration (median over epochs without a pruning event, the first left out); epoch s: mean over all epochs (training, block searches, validation batches); '
  + 'peak MB: peak resident memory of the model\'s process at the end of training (cases, loader threads, network); Dice and NSD (2 mm): mean over the validation cases, per label '
  + `(${labels.join(', ')}) and their mean (bold)`,
  '',
  `| model | params | step ms | peak MB | epoch s | val Dice (${labels.join(', ')}, mean) | NSD (${labels.join(', ')}, mean) |`,
  '|---|---|---|---|---|---|---|',
  ...rows,
  '',
  ...(equalTimeRows.length ? [
    '## Equal training time',
    '',
    'PlainUNet\'s run against the PSP-Seg S runs given as many epochs as fit in its training time (epochs x the equal-step run\'s mean epoch time); '
    + 'iterations per epoch, validation batches, lr (poly decay over the longer run), pruning constants and seed as above. '
    + '*training s*: the epochs\' summed time (training, block searches, validation batches); *x PlainUNet*: that time over PlainUNet\'s.',
    '',
    `| model | epochs x iterations (steps) | training s | x PlainUNet | params | val Dice (${labels.join(', ')}, mean) | NSD mean |`,
    '|---|---|---|---|---|---|---|',
    ...equalTimeRows,
    '',
  ] : []),
  `## Paper configuration: ${cube ? `patch ${cube}^3` : cubes.length ? 'no cube fitted' : 'left out (BENCH_PAPER_CUBES=none)'}, 1 channel, 3 classes, batch 2`,
  '',
  `One training step as the trainer's (loss, TR's masked pass for PSP-Seg, backward, clipping, SGD) on a synthetic batch, each network in its own process; median of ${paperSteps} step(s) after ${paperWarmup} warm-up. `
  + 'The paper measures GPU memory and epoch time; here: peak resident memory of the process (libtorch and Node included) and wall time per step on the CPU. '
  + `Estimate (what the memory guard compares with the available memory): src/models/step_memory.ts's training step (the forward's activations, the loss, TR's masked pass, the first gradients of backward, weights, gradients and momentum) times ${allocatorFactor()} for what the allocator holds beyond the live bytes, plus the process at start.${notes.length ? ` ${notes.join('; ')}.` : ''}`,
  '',
  '| network | params | step ms | CPU ms (all threads) | peak MB | estimate MB |',
  '|---|---|---|---|---|---|',
  ...paperRows,
  '',
  '## The paper\'s claims here',
  '',
  '| claim | here | verdict |',
  '|---|---|---|',
  ...claims.map((c) => `| ${c.claim} | ${c.figures} | ${c.verdict} |`),
  '',
];
const pick = (r: ModelResult | undefined) => (r ? {
  params: r.params, params_start: r.params_start, step_ms: r.step_ms, step_ms_last: r.step_ms_last, peak_mb: r.peak_mb,
  epochs: r.epochs, epochs_total_s: r.epochs_total_s, epoch_s: r.epoch_s, train_s: r.train_s,
  dice: r.dice, dice_mean: r.dice_mean, nsd: r.nsd, nsd_mean: r.nsd_mean, val_cases: r.val_cases, ...(r.pruning_events.length ? { pruning_events: r.pruning_events } : {}),
} : null);
const json = {
  ...Object.fromEntries(MODELS.map((k) => [k, pick(R[k])])),
  paper_config: {
    cube, batch: 2, ...(notes.length ? { notes } : {}),
    ...Object.fromEntries(Object.entries(paper).map(([k, r]) => [k, { params: r.params, step_ms: r.median_ms, cpu_ms: r.cpu_ms, peak_mb: r.peak_rss_mb }])),
  },
  ...(Object.keys(failures).length ? { failures } : {}),
  budget: { ...budget, patch, pruning, val_cases: valCases, tta, cases: subset.cases.length, smoke },
  wall_min: +(wall / 60).toFixed(1),
};
const jsonLine = JSON.stringify(json);
mkdirSync(dirname(outFile), { recursive: true });
await writeFileAtomic(outFile, [`${md.join('\n')}\n${jsonLine}\n`]);
console.log(`\n${md.join('\n')}`);
console.log(`written to ${outFile}`);
console.log(jsonLine);
