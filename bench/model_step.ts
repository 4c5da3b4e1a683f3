/**
 * One training step of a whole model through pspseg, the pspseg side of bench/model.ts (run as its
 * child, so that its peak memory is its own). bench/torch_model_step.py does the same step in PyTorch
 * from the same files. Prints one JSON line.
 *
 * Step (nnU-Net's train_step with PSP-Seg's loss): zeroGrad; with 'psp' the masked input
 * (background -> fill value) through network.encode under noGrad; forward; pspsegLoss (deep-supervised
 * Dice + CE, + 0.1 TR + 0.1 RL for 'psp'; its terms read in one transfer); backward; clipGradNorm 12;
 * SGD (lr 1e-2, momentum 0.99, Nesterov, weight decay 3e-5). The deep-supervision targets (label at 1,
 * 1/2, 1/4, 1/8) come with the batch (the loader makes them): built once, outside the step.
 *
 * Env: BENCH_DIR (what bench/model.ts wrote: <model>.architecture.json, <model>.safetensors, case.safetensors
 * and case.json),
 * BENCH_MODEL (psp_s | plain), BENCH_LOSS (psp | dice_ce), BENCH_WARMUP (2), BENCH_STEPS (5),
 * BENCH_DEVICE (cpu), PSPSEG_THREADS (the engine reads it), BENCH_GC (minor | major: a garbage collection
 * after every step, outside the timing, so that V8 frees the handles of disposed tensors; a diagnostic).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type Precision, autocast, cudaMemory, type Device, engineConfig, loadSafetensors, noGrad, synchronize, type Tensor, tidy } from '../src/tensor/index.js';
import { asFloat32, float32Output, loadWeights } from '../src/nn/index.js';
import { SGD, clipGradNorm } from '../src/optim/index.js';
import { type LossTerms, maskInput, parseLossConfig, pspsegLoss } from '../src/losses/index.js';
import { DEFAULT_DS_SCALES, deepSupervisionTargets } from '../src/data/augment/deep_supervision.js';
import { buildNetwork, loadArchitecture } from '../src/models/index.js';

const dir = process.env.BENCH_DIR;
if (!dir) throw new Error('bench/model_step: BENCH_DIR is not set (run bench/model.ts)');
const model = process.env.BENCH_MODEL ?? 'psp_s';
const config = parseLossConfig({ name: process.env.BENCH_LOSS ?? 'psp' }, 'BENCH_LOSS');
const warmup = Number(process.env.BENCH_WARMUP ?? 2), steps = Number(process.env.BENCH_STEPS ?? 5);
const device = (process.env.BENCH_DEVICE ?? 'cpu') as Device;
// BENCH_PRECISION bf16/fp16: the forward passes under autocast, as the trainer runs them (src/train/trainer.ts)
const precision = (process.env.BENCH_PRECISION ?? 'fp32') as Precision;
const rssMb = () => process.memoryUsage().rss / 2 ** 20;
const gcKind = process.env.BENCH_GC;
if (gcKind) setFlagsFromString('--expose-gc');
const gc = gcKind ? (runInNewContext('gc') as (o?: { type: string }) => void) : null;

const arch = loadArchitecture(join(dir, `${model}.architecture.json`));
const net = buildNetwork(arch);
loadWeights(join(dir, `${model}.safetensors`), net);
net.to(device);
const params = net.parameters();
const opt = new SGD(net.namedParameters(), { lr: 1e-2, momentum: 0.99, nesterov: true, weightDecay: 3e-5 });
const c = loadSafetensors(join(dir, 'case.safetensors'));
const image = c.tensors.get('image')!.toDevice(device).keep();
const label = c.tensors.get('label')!.to('int64').toDevice(device).keep();
const fill = (JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { fill: number }).fill;
// one target per deep-supervision output: full resolution, 1/2, 1/4, ... (BENCH_DS_LEVELS, from bench/model.ts)
const levels = Number(process.env.BENCH_DS_LEVELS ?? DEFAULT_DS_SCALES.length);
const scales = Array.from({ length: levels }, (_, i): [number, number, number] => [2 ** -i, 2 ** -i, 2 ** -i]);
const targets = tidy(() => deepSupervisionTargets(label, scales).map((t) => t.keep()));
if (device !== 'cpu') cudaMemory(0, { resetPeak: true });
const rssBefore = rssMb();

type Phase = 'zero_grad' | 'masked_encode' | 'forward' | 'loss' | 'backward' | 'clip' | 'sgd';
const phases: Record<Phase, number[]> = { zero_grad: [], masked_encode: [], forward: [], loss: [], backward: [], clip: [], sgd: [] };
const phaseRss: Partial<Record<Phase, number>> = {}; // RSS after each phase of the last step (where memory grows)
const times: number[] = [], cpuTimes: number[] = []; // wall and CPU (all threads) ms per step
let first: { terms: LossTerms; gradNorm: number } | null = null;
for (let i = 0; i < warmup + steps; i++) {
  const t0 = process.hrtime.bigint(), cpu0 = process.cpuUsage();
  let last = t0;
  const mark = (p: Phase) => {
    if (device !== 'cpu') synchronize();
    const now = process.hrtime.bigint();
    if (i >= warmup) phases[p].push(Number(now - last) / 1e6);
    phaseRss[p] = +rssMb().toFixed(1);
    last = now;
  };
  tidy(() => {
    opt.zeroGrad();
    mark('zero_grad');
    const masked = config.name === 'psp'
      ? autocast(precision, device, () => noGrad(() => net.encode(maskInput(image, label, fill)).map(asFloat32)))
      : null;
    mark('masked_encode');
    const out = float32Output(autocast(precision, device, () => net.forward(image)));
    mark('forward');
    const { total: loss, terms } = pspsegLoss(out, masked, targets, config);
    mark('loss');
    loss.backward();
    mark('backward');
    const gradNorm = clipGradNorm(params, 12);
    mark('clip');
    opt.step();
    mark('sgd');
    first ??= { terms, gradNorm };
  });
  if (i >= warmup) {
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const cpu = process.cpuUsage(cpu0);
    cpuTimes.push((cpu.user + cpu.system) / 1e3);
  }
  gc?.({ type: gcKind === 'minor' ? 'minor' : 'major' });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const patch = image.shape.slice(2) as [number, number, number];
console.log(JSON.stringify({
  side: 'pspseg', model, loss: config.name, patch, batch: image.shape[0], params: net.numParameters(),
  median_ms: median(times),
  cpu_ms: median(cpuTimes),
  phases_ms: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, +median(v).toFixed(2)])),
  rss_before_mb: +rssBefore.toFixed(1),
  phases_rss_mb: phaseRss,
  peak_rss_mb: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
  estimate_activations_mb: +(net.activationBytes(patch, image.shape[0]!) / 2 ** 20).toFixed(1),
  threads: engineConfig().threads,
  ...(device !== 'cpu' ? { peak_gpu_mb: +(cudaMemory(0).peakAllocated / 2 ** 20).toFixed(1), device } : {}),
  first_step: first,
}));
for (const t of [image, label, ...targets, ...c.tensors.values()] as Tensor[]) t.dispose();
