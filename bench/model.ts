/**
 * Model benchmark (`npm run bench:model`): one training step (batch 2, patch 48x64x48, a
 * hippocampus-like batch, deep supervision, TR + RL, clipping, SGD) of PSP-Seg S in pspseg and in
 * PyTorch (scripts/torch_pspseg.py), with the same weights (ours, saved as safetensors and loaded there
 * strictly) and the same batch; and nnU-Net's PlainUNet (hippocampus topology, 4 stages [32, 64, 128,
 * 256]) with Dice + CE. Each side runs in its own process (bench/model_step.ts, bench/torch_model_step.py;
 * PyTorch with the tuned glibc allocator, as bench/engine.ts); rounds alternate the configurations so
 * machine noise hits them alike. Time: each configuration's best round (noise only adds time); peak
 * memory: the median round. Both sides' first-step loss terms and gradient norm are compared: they
 * must agree, or the two sides are not doing the same step.
 * Env: BENCH_PATCH (48,64,48; one number for a cube: at 128 PlainUNet is nnU-Net's 6-stage topology), BENCH_DEVICE
 * (cpu; cuda adds each side's peak GPU memory, libtorch's caching allocator on both), BENCH_ROUNDS (3), BENCH_WARMUP (2), BENCH_STEPS (5), BENCH_TORCH_PLAIN (1: also PlainUNet in
 * PyTorch), PSPSEG_THREADS (all cores), BENCH_DIR (keep the files there, to run one side alone:
 * `BENCH_DIR=d BENCH_MODEL=plain BENCH_LOSS=dice_ce node dist/bench/model_step.js`). BENCH_SMOKE=1: patch
 * 16x32x32, 1 round of 1 step without warm-up, to check that it runs (test/bench_smoke.test.ts also
 * checks that both sides agree).
 * Last line: one JSON object {psp_s_ms, torch_psp_s_ms, ratio, ..., params_psp_s, params_plain,
 * psp_s_torch_agreement (and plain_torch_agreement): the largest relative difference of the two sides'
 * first-step loss terms and gradient norm}.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, tensor, tidy } from '../src/tensor/index.js';
import { saveSafetensors } from '../src/tensor/index.js';
import { saveWeights } from '../src/nn/index.js';
import { type Architecture, buildNetwork, plainArchitecture, plainIsotropic, plainTopology, pspArchitecture, saveArchitecture } from '../src/models/index.js';
import { hippocampusLikeCase } from './model_case.js';
import { benchRounds, benchThreads as threads, median, requirePyTorch, runOurs, runTorch } from './side_by_side.js';
import { smoke, smokeChildEnv } from './smoke.js';
import { PRECISIONS } from '../src/tensor/precision.js';

const rounds = benchRounds(3);
/**
 * `-- --precision bf16|fp16` (or BENCH_PRECISION): both sides' forward passes under autocast (ours: libtorch's
 * autocast, as the trainer runs it; PyTorch: torch.autocast), beside both sides in fp32 for the speedup;
 * PlainUNet is left out then.
 */
const precisionArg = process.argv.indexOf('--precision');
const precision = (precisionArg >= 0 ? process.argv[precisionArg + 1] : process.env.BENCH_PRECISION) ?? 'fp32';
if (!(PRECISIONS as readonly string[]).includes(precision)) throw new Error(`--precision: one of ${PRECISIONS.join(', ')}, got ${precision}`);
const mixed = precision !== 'fp32';
const withPlain = !mixed;
const torchPlain = withPlain && process.env.BENCH_TORCH_PLAIN !== '0';
/** BENCH_PATCH: one number (a cube) or D,H,W; BENCH_DEVICE: cpu or cuda (then both sides also report peak GPU memory). */
const patchEnv = process.env.BENCH_PATCH?.split(',').map(Number);
const patch: [number, number, number] = patchEnv ? (patchEnv.length === 1 ? [patchEnv[0]!, patchEnv[0]!, patchEnv[0]!] : patchEnv as [number, number, number])
  : smoke ? [16, 32, 32] : [48, 64, 48];
const batch = 2, classes = 3;
if (patch.some((n) => !Number.isInteger(n) || n < 16 || n % 16)) throw new Error(`BENCH_PATCH: sides must be multiples of 16, got ${process.env.BENCH_PATCH}`);
const device = process.env.BENCH_DEVICE ?? 'cpu';
const stepEnv = smokeChildEnv({ BENCH_WARMUP: '0', BENCH_STEPS: '1' });
requirePyTorch('bench:model');

// ---- the shared files: architectures, our initial weights, the batch -------------------------------
const dir = process.env.BENCH_DIR ?? mkdtempSync(join(tmpdir(), 'pspseg-bench-model-'));
if (!process.env.BENCH_DIR) process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
else mkdirSync(dir, { recursive: true });
const models: Record<string, Architecture> = {
  psp_s: pspArchitecture({ variant: 'S', inChannels: 1, classes, deepSupervision: true }),
  // nnU-Net's topology for the patch at 1 mm: at 48x64x48 hippocampus' [32, 64, 128, 256] (strides 1,2,2,2), at 128^3 six stages [32..320]
  plain: patchEnv ? plainArchitecture(plainTopology([1, 1, 1], patch), { classes }) : plainIsotropic(4, { classes }),
};
for (const [name, arch] of Object.entries(models)) {
  saveArchitecture(join(dir, `${name}.architecture.json`), arch);
  const net = buildNetwork(arch, { generator: new Generator(name === 'plain' ? 1 : 0) });
  saveWeights(join(dir, `${name}.safetensors`), net);
  net.dispose();
}
const c = hippocampusLikeCase(patch, batch);
tidy(() => saveSafetensors(join(dir, 'case.safetensors'), new Map([['image', tensor(c.image, c.shape)], ['label', tensor(c.label, c.shape)]])));
writeFileSync(join(dir, 'case.json'), JSON.stringify({ fill: c.fill }));
if (rounds === 0) { console.log(`wrote the architectures, weights and batch to ${dir}`); process.exit(0); }
console.log(`batch ${batch} x 1 x ${patch.join('x')}, foreground ${(100 * c.foreground).toFixed(1)}% (labels 1, 2), fill ${c.fill.toFixed(3)}; ${threads} threads`);

// ---- the runs ---------------------------------------------------------------------------------------
interface StepResult {
  side: string; model: string; params: number; median_ms: number; cpu_ms: number; peak_rss_mb: number; peak_gpu_mb?: number; phases_ms: Record<string, number>;
  first_step: { terms: Record<string, number | null>; gradNorm: number };
}
function run(side: 'pspseg' | 'torch', model: string, loss: string, stepPrecision = precision): StepResult {
  const env = {
    ...stepEnv, BENCH_DIR: dir, BENCH_MODEL: model, BENCH_LOSS: loss, BENCH_DS_LEVELS: String(models[model]!.channels.length - 1), BENCH_DEVICE: device,
    BENCH_PRECISION: stepPrecision,
  };
  return side === 'pspseg' ? runOurs<StepResult>('model_step', env) : runTorch<StepResult>('torch_model_step', env);
}
const configs: Record<string, () => StepResult> = {
  psp_s: () => run('pspseg', 'psp_s', 'psp'),
  torch_psp_s: () => run('torch', 'psp_s', 'psp'),
  ...(withPlain ? { plain: () => run('pspseg', 'plain', 'dice_ce') } : {}),
  ...(torchPlain ? { torch_plain: () => run('torch', 'plain', 'dice_ce') } : {}),
  ...(mixed ? { psp_s_fp32: () => run('pspseg', 'psp_s', 'psp', 'fp32'), torch_psp_s_fp32: () => run('torch', 'psp_s', 'psp', 'fp32') } : {}),
};
const results: Record<string, StepResult[]> = Object.fromEntries(Object.keys(configs).map((k) => [k, []]));
const loads: number[] = [];
for (let r = 0; r < rounds; r++) {
  for (const [name, fn] of Object.entries(configs)) {
    const res = fn();
    loads.push(loadavg()[0]!);
    console.log(`round ${r + 1} ${name.padEnd(12)} median ${res.median_ms.toFixed(0).padStart(6)} ms (CPU ${res.cpu_ms.toFixed(0)} ms)  peak RSS ${res.peak_rss_mb.toFixed(0)} MiB  ` +
      `(load ${loadavg()[0]!.toFixed(2)})`);
    results[name]!.push(res);
  }
}

// ---- the same step on both sides? ---------------------------------------------------------------------
function agreement(a: StepResult, b: StepResult): number {
  const keys = Object.keys(b.first_step.terms).filter((k) => b.first_step.terms[k] !== null);
  const rel = (x: number, y: number) => Math.abs(x - y) / Math.max(Math.abs(y), 1e-12);
  return Math.max(rel(a.first_step.gradNorm, b.first_step.gradNorm), ...keys.map((k) => rel(a.first_step.terms[k] ?? NaN, b.first_step.terms[k]!)));
}
const pairs: [string, string][] = [['psp_s', 'torch_psp_s'], ...(torchPlain ? [['plain', 'torch_plain'] as [string, string]] : [])];
// Under autocast each side rounds to bfloat16/float16 where the other does, but sums in a different order:
// agreement within the half type's precision, not float32's.
const sameStep = mixed ? 3e-2 : 1e-3;
const agreements: Record<string, number> = {};
for (const [ours, ref] of pairs) {
  const e = agreement(results[ours]![0]!, results[ref]![0]!);
  agreements[`${ours}_torch_agreement`] = Number(e.toExponential(2));
  console.log(`${ours} vs ${ref}: first-step loss terms and gradient norm agree to ${e.toExponential(1)} (relative)` +
    (!(e <= sameStep) ? '  <-- NOT THE SAME STEP' : ''));
  const t = results[ref]![0]!.first_step;
  console.log(`  ${ref} first step: ${Object.entries(t.terms).map(([k, v]) => `${k} ${v === null ? '-' : v.toFixed(5)}`).join(', ')}, grad norm ${t.gradNorm.toFixed(4)}`);
}

// ---- summary ----------------------------------------------------------------------------------------
const best = (name: string) => Math.min(...results[name]!.map((r) => r.median_ms));
// CPU time of all threads: less sensitive than wall time to other processes on a shared machine
const bestCpu = (name: string) => Math.min(...results[name]!.map((r) => r.cpu_ms));
const peak = (name: string) => median(results[name]!.map((r) => r.peak_rss_mb));
console.log(`step medians (best of ${rounds} rounds; CPU: all threads) and peak RSS (median round):`);
for (const name of Object.keys(configs))
  console.log(`  ${name.padEnd(12)} ${best(name).toFixed(0).padStart(6)} ms (CPU ${bestCpu(name).toFixed(0)} ms)  ${peak(name).toFixed(0).padStart(5)} MiB  ` +
    `(rounds: ${results[name]!.map((r) => r.median_ms.toFixed(0)).join(', ')} ms)`);
console.log('phases (ms, median step of the best round):');
for (const name of Object.keys(configs)) {
  const r = results[name]!.reduce((a, b) => (b.median_ms < a.median_ms ? b : a));
  console.log(`  ${name.padEnd(12)} ${Object.entries(r.phases_ms).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
}
console.log(`load average (1 min) during the run: ${Math.min(...loads).toFixed(2)}..${Math.max(...loads).toFixed(2)}, mean ${(loads.reduce((a, b) => a + b, 0) / loads.length).toFixed(2)}`);
console.log(JSON.stringify({
  psp_s_ms: +best('psp_s').toFixed(1),
  torch_psp_s_ms: +best('torch_psp_s').toFixed(1),
  ratio: +(best('psp_s') / best('torch_psp_s')).toFixed(3),
  psp_s_peak_rss_mb: +peak('psp_s').toFixed(1),
  torch_psp_s_peak_rss_mb: +peak('torch_psp_s').toFixed(1),
  ...(withPlain ? { plain_ms: +best('plain').toFixed(1), params_plain: results.plain![0]!.params } : {}),
  ...(torchPlain ? { torch_plain_ms: +best('torch_plain').toFixed(1), plain_peak_rss_mb: +peak('plain').toFixed(1), torch_plain_peak_rss_mb: +peak('torch_plain').toFixed(1) } : {}),
  params_psp_s: results.psp_s![0]!.params,
  psp_s_cpu_ms: +bestCpu('psp_s').toFixed(1),
  torch_psp_s_cpu_ms: +bestCpu('torch_psp_s').toFixed(1),
  cpu_ratio: +(bestCpu('psp_s') / bestCpu('torch_psp_s')).toFixed(3),
  load_avg_1m: +(loads.reduce((a, b) => a + b, 0) / loads.length).toFixed(2),
  patch, device, precision,
  ...(mixed ? {
    psp_s_fp32_ms: +best('psp_s_fp32').toFixed(1), torch_psp_s_fp32_ms: +best('torch_psp_s_fp32').toFixed(1),
    speedup_over_fp32: +(best('psp_s_fp32') / best('psp_s')).toFixed(3), torch_speedup_over_fp32: +(best('torch_psp_s_fp32') / best('torch_psp_s')).toFixed(3),
  } : {}),
  ...(device !== 'cpu' ? Object.fromEntries(Object.keys(configs).map((k) => [`${k}_peak_gpu_mb`, median(results[k]!.map((r) => r.peak_gpu_mb ?? NaN))])) : {}),
  ...agreements,
}));
