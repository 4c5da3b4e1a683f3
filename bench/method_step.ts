/**
 * One network's training step at a given cube, the paper-configuration part of bench/method.ts (run
 * as its child, so that its peak memory is its own). The step is the trainer's (src/train/trainer.ts):
 * zeroGrad, forward, for PSP-Seg TR's masked input through the encoder without gradients, the loss
 * (PSP-Seg: deep-supervised Dice + CE + 0.1 TR + 0.1 RL; PlainUNet: deep-supervised Dice + CE),
 * backward, gradient clipping at 12, SGD (lr 1e-2, momentum 0.99, Nesterov, weight decay 3e-5), on one
 * fixed synthetic batch (a random image, two label ellipsoids: the content does not change the time).
 *
 * Before anything runs, the step's memory estimate (the trainer's memory guard's: src/models/step_memory.ts)
 * is compared with the memory available: a step that would not fit is not started (the machine is shared;
 * the OOM killer would pick any process), and the JSON line says so ({"skipped": ...}).
 *
 * Argument: one JSON object {architecture: file, patch: [d, h, w], batch, warmup, steps, fill?}.
 * PSPSEG_MEMORY sets the memory the guard assumes ("off": no guard). Last line: {params, median_ms, cpu_ms,
 * peak_rss_mb, rss_before_mb, activations_mb, live_estimate_mb, estimate_mb (the guard's, plus the process
 * before the network), available_mb, threads, phase_rss_mb (the first step's resident memory after each
 * phase), step_rss_mb (after each step), live_tensors (after each step)}. With BENCH_PHASE_SIGNAL set, a
 * SIGUSR2 after each phase of every step makes bench/tools/live_heap_peak.c (LD_PRELOAD) print the live
 * heap bytes (set it only with that library preloaded: SIGUSR2 would end the process otherwise).
 */
import { readFileSync } from 'node:fs';
import { deepSupervisionScales, deepSupervisionTargets } from '../src/data/augment/deep_supervision.js';
import { maskInput, parseLossConfig, pspsegLoss } from '../src/losses/index.js';
import { PlainUNet, PSPSegNet, type Triple, buildNetwork, loadArchitecture, trainingStepMemory } from '../src/models/index.js';
import { SGD, clipGradNorm } from '../src/optim/index.js';
import { Generator, type Tensor, engineConfig, liveTensorCount, noGrad, randn, tensor, tidy } from '../src/tensor/index.js';
import { availableMemory, fitsInMemory } from '../src/util/memory.js';

interface StepRequest { architecture: string; patch: Triple; batch: number; warmup: number; steps: number; fill?: number }
const req = JSON.parse(process.argv[2] ?? readFileSync(0, 'utf8')) as StepRequest;
const mb = (bytes: number) => +(bytes / 2 ** 20).toFixed(1);
const rssBefore = process.memoryUsage().rss;

const arch = loadArchitecture(req.architecture);
const net = buildNetwork(arch, { generator: new Generator(0) });
const params = net.numParameters();
// The step's estimate is the memory guard's (src/models/step_memory.ts), plus the process as it was
// before the network was built: comparable with the peak resident memory measured below.
const step = trainingStepMemory(net, req.patch, req.batch, { maskedEncoderPass: arch.kind === 'psp' });
const activations = step.activations;
const estimate = step.resident + rssBefore;
const available = availableMemory();
const common = { params, patch: req.patch, batch: req.batch, activations_mb: mb(activations), live_estimate_mb: mb(step.live), estimate_mb: mb(estimate), available_mb: mb(available), threads: engineConfig().threads };
if (!fitsInMemory(step.resident, available)) {
  console.log(JSON.stringify({ ...common, skipped: `needs about ${mb(estimate)} MB (estimate), ${mb(available)} MB available` }));
  process.exit(0);
}

const psp = net instanceof PSPSegNet;
const lossConfig = parseLossConfig({ name: psp ? 'psp' : 'dice_ce' });
const scales: Triple[] = net instanceof PSPSegNet
  ? Array.from({ length: net.deepSupervision ? net.stages - 1 : 1 }, (_, i): Triple => [2 ** -i, 2 ** -i, 2 ** -i])
  : (net as PlainUNet).deepSupervision ? deepSupervisionScales((net as PlainUNet).arch.strides) as Triple[] : [[1, 1, 1]];

/** Label 1 and 2 as two ellipsoids side by side in the middle of the patch, about 5% of the voxels. */
function syntheticLabel(patch: Triple, batch: number): Tensor {
  const [d, h, w] = patch;
  const out = new Uint8Array(batch * d * h * w);
  const r = patch.map((n) => n / 5);
  for (let z = 0; z < d; z++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const dz = (z - d / 2) / r[0]!, dx = (x - w / 2) / r[2]!;
    for (const [label, cy] of [[1, h * 0.35], [2, h * 0.65]] as const) {
      const dy = (y - cy) / r[1]!;
      if (dz * dz + dy * dy + dx * dx <= 1) for (let b = 0; b < batch; b++) out[((b * d + z) * h + y) * w + x] = label;
    }
  }
  return tidy(() => tensor(out, [batch, 1, d, h, w], { dtype: 'uint8' }).to('int64').keep());
}

const image = randn([req.batch, arch.inChannels, ...req.patch], { generator: new Generator(1) }).keep();
const label = syntheticLabel(req.patch, req.batch).keep();
const targets = tidy(() => deepSupervisionTargets(label, scales).map((t) => t.keep()));
const opt = new SGD(net.namedParameters(), { lr: 1e-2, momentum: 0.99, nesterov: true, weightDecay: 3e-5 });
net.train();

const wall: number[] = [], cpu: number[] = [];
const phases: Record<string, number> = { start: mb(process.memoryUsage().rss) };
const liveAfter: number[] = [];
const stepRss: number[] = []; // resident memory after each step, warm-up included
for (let i = 0; i < req.warmup + req.steps; i++) {
  const t0 = performance.now(), c0 = process.cpuUsage();
  // The first step's resident memory after each phase (the allocator keeps what it got: each figure is
  // the high-water mark so far), to see which phase makes the peak.
  const phase = (name: string) => {
    if (i === 0) phases[name] = mb(process.memoryUsage().rss);
    if (process.env.BENCH_PHASE_SIGNAL) { console.error(`step ${i} ${name}`); process.kill(process.pid, 'SIGUSR2'); } // bench/tools/live_heap_peak.c
  };
  tidy(() => {
    opt.zeroGrad();
    const out = net.forward(image);
    phase('forward');
    const masked = psp ? noGrad(() => net.encode(maskInput(image, label, req.fill ?? 0))) : null;
    phase('masked');
    const { total: loss } = pspsegLoss(out, masked, targets, lossConfig);
    phase('loss');
    loss.backward();
    phase('backward');
    clipGradNorm(net.parameters(), 12);
    opt.step();
    phase('step');
  });
  stepRss.push(mb(process.memoryUsage().rss));
  liveAfter.push(liveTensorCount());
  if (i >= req.warmup) {
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e3);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(JSON.stringify({
  ...common,
  median_ms: +median(wall).toFixed(1),
  cpu_ms: +median(cpu).toFixed(1),
  step_ms: wall.map((t) => +t.toFixed(0)),
  peak_rss_mb: mb(process.resourceUsage().maxRSS * 1024),
  rss_before_mb: mb(rssBefore),
  phase_rss_mb: phases,
  step_rss_mb: stepRss,
  live_tensors: liveAfter,
}));
for (const t of [image, label, ...targets]) t.dispose();
opt.dispose();
net.dispose();
