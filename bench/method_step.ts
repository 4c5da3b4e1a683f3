/**
 * One network's training step at a given cube, the paper-configuration part of bench/method.ts (run
 * as its child, so that its peak memory is its own). The step is the trainer's (src/train/trainer.ts):
 * zeroGrad, forward, for PSP-Seg TR's masked input through the encoder without gradients, the loss
 * (PSP-Seg: deep-supervised Dice + CE + 0.1 TR + 0.1 RL; PlainUNet: deep-supervised Dice + CE),
 * backward, gradient clipping at 12, SGD (lr 1e-2, momentum 0.99, Nesterov, weight decay 3e-5), on one
 * fixed synthetic batch (a random image, two label ellipsoids: the content does not change the time).
 *
 * Before anything runs, the step's memory estimate (from the network's activations at the cube and batch,
 * weights, gradients and momentum; see ACTIVATION_FACTOR) is compared with the memory available: a step that would not fit
 * is not started (the machine is shared; the OOM killer would pick any process), and the JSON line says
 * so ({"skipped": ...}).
 *
 * Argument: one JSON object {architecture: file, patch: [d, h, w], batch, warmup, steps, fill?}.
 * PSPSEG_MEMORY sets the memory the guard assumes ("off": no guard). Last line: {params, median_ms, cpu_ms,
 * peak_rss_mb, rss_before_mb, activations_mb, estimate_mb, available_mb, threads}.
 */
import { readFileSync } from 'node:fs';
import { deepSupervisionScales, deepSupervisionTargets } from '../src/data/augment/deep_supervision.js';
import { maskInput, parseLossConfig, pspsegLoss } from '../src/losses/index.js';
import { PlainUNet, PSPSegNet, type Triple, buildNetwork, loadArchitecture } from '../src/models/index.js';
import { SGD, clipGradNorm } from '../src/optim/index.js';
import { Generator, type Tensor, engineConfig, noGrad, randn, tensor, tidy } from '../src/tensor/index.js';
import { availableMemory, fitsInMemory } from '../src/util/memory.js';

interface StepRequest { architecture: string; patch: Triple; batch: number; warmup: number; steps: number; fill?: number }
const req = JSON.parse(process.argv[2] ?? readFileSync(0, 'utf8')) as StepRequest;
const mb = (bytes: number) => +(bytes / 2 ** 20).toFixed(1);
const rssBefore = process.memoryUsage().rss;

const arch = loadArchitecture(req.architecture);
const net = buildNetwork(arch, { generator: new Generator(0) });
const params = net.numParameters();
// The peak resident memory of this step, measured at 48x64x48 and 64^3 on the development VM, was
// the network's activation estimate times 2.0 and 1.84 for PlainUNet, 2.1 and 2.4 for PSP-Seg (TR's
// masked pass, more small tensors), plus 4 copies of the parameters (weights, gradients, momentum,
// clipping's temporaries) and the process before the network was built: the guard uses 1.9 and 2.5.
const ACTIVATION_FACTOR = arch.kind === 'psp' ? 2.5 : 1.9;
const activations = net.activationBytes(req.patch, req.batch);
const estimate = ACTIVATION_FACTOR * activations + 4 * 4 * params + rssBefore;
const available = availableMemory();
const common = { params, patch: req.patch, batch: req.batch, activations_mb: mb(activations), estimate_mb: mb(estimate), available_mb: mb(available), threads: engineConfig().threads };
if (!fitsInMemory(estimate, available)) {
  console.log(JSON.stringify({ ...common, skipped: `needs about ${mb(estimate)} MB (estimate), ${mb(available)} MB available` }));
  process.exit(0);
}

const psp = net instanceof PSPSegNet;
const lossConfig = parseLossConfig({ kind: psp ? 'dcce+fd' : 'dcce' });
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
for (let i = 0; i < req.warmup + req.steps; i++) {
  const t0 = performance.now(), c0 = process.cpuUsage();
  tidy(() => {
    opt.zeroGrad();
    const out = net.forward(image);
    const masked = psp ? noGrad(() => net.encode(maskInput(image, label, req.fill ?? 0))) : null;
    const { loss } = pspsegLoss(out, masked, targets, lossConfig);
    loss.backward();
    clipGradNorm(net.parameters(), 12);
    opt.step();
  });
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
}));
for (const t of [image, label, ...targets]) t.dispose();
opt.dispose();
net.dispose();
