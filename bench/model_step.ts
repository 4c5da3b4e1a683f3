/**
 * One network training step through pspseg (forward, loss on every output, backward, SGD), for
 * comparing with bench/torch_model_step.py on the same architecture and for checking the activation
 * estimate against the measured memory. Prints one JSON line.
 * Env: BENCH_ARCH (S | B | L | plain<stages>, default S), BENCH_SIZE (patch side, 64), BENCH_BATCH (2),
 * BENCH_WARMUP (1), BENCH_STEPS (3), BENCH_DEVICE (cpu).
 */
import { Generator, engineConfig, randn, synchronize, tidy, type Device } from '../src/tensor/index.js';
import { SGD } from '../src/optim/index.js';
import { type Architecture, buildNetwork, plainIsotropic, pspArchitecture } from '../src/models/index.js';

const archName = process.env.BENCH_ARCH ?? 'S';
const size = Number(process.env.BENCH_SIZE ?? 64), batch = Number(process.env.BENCH_BATCH ?? 2);
const warmup = Number(process.env.BENCH_WARMUP ?? 1), steps = Number(process.env.BENCH_STEPS ?? 3);
const device = (process.env.BENCH_DEVICE ?? 'cpu') as Device;

const arch: Architecture = archName.startsWith('plain')
  ? plainIsotropic(Number(archName.slice(5) || 6), { classes: 3 })
  : pspArchitecture({ variant: archName as 'S' | 'B' | 'L', classes: 3 });
const rssMb = () => process.memoryUsage().rss / 2 ** 20;
const net = buildNetwork(arch, { generator: new Generator(0) }).to(device);
const opt = new SGD(net.namedParameters(), { lr: 1e-2, momentum: 0.99, nesterov: true });
const x = randn([batch, 1, size, size, size], { generator: new Generator(1) }).toDevice(device).keep();
const patch: [number, number, number] = [size, size, size];
const rssBefore = rssMb();

const times: number[] = [];
for (let i = 0; i < warmup + steps; i++) {
  const t0 = process.hrtime.bigint();
  tidy(() => {
    opt.zeroGrad();
    const out = net.forward(x);
    let loss = out.logits[0]!.mean();
    for (const l of out.logits.slice(1)) loss = loss.add(l.mean());
    if (out.regionFeatures) loss = loss.add(out.regionFeatures.mean());
    loss.backward();
    opt.step();
  });
  if (device !== 'cpu') synchronize();
  if (i >= warmup) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({
  arch: archName, size, batch, params: net.numParameters(),
  median_ms: times[Math.floor(times.length / 2)],
  rss_before_mb: +rssBefore.toFixed(1),
  peak_rss_mb: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
  estimate_activations_mb: +(net.activationBytes(patch, batch) / 2 ** 20).toFixed(1),
  threads: engineConfig().threads,
}));
