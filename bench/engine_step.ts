/**
 * One training step of the benchmark stack through pspseg's TypeScript layer (run as a child
 * of bench/engine.ts so its peak memory is its own). Prints one JSON line.
 * Stack: conv 1->16 k3 p1, IN, LReLU, conv 16->32 k3 s2 p1, IN, LReLU, conv 32->32 k(1,3,3),
 * conv 32->32 k(3,3,1); loss = sum of the output; SGD (momentum 0.99, Nesterov).
 */
import { Generator, engineConfig, randn, synchronize, tidy, type Device } from '../src/tensor/index.js';
import { Conv3d, InstanceNorm3d, LeakyReLU, Sequential } from '../src/nn/index.js';
import { SGD } from '../src/optim/index.js';

const warmup = Number(process.env.BENCH_WARMUP ?? 3);
const steps = Number(process.env.BENCH_STEPS ?? 15);
const device = (process.env.BENCH_DEVICE ?? 'cpu') as Device;
const size = Number(process.env.BENCH_SIZE ?? 64);

const g = new Generator(0);
const model = new Sequential(
  new Conv3d(1, 16, 3, { padding: 1, generator: g }), new InstanceNorm3d(16), new LeakyReLU(0.01),
  new Conv3d(16, 32, 3, { stride: 2, padding: 1, generator: g }), new InstanceNorm3d(32), new LeakyReLU(0.01),
  new Conv3d(32, 32, [1, 3, 3], { padding: [0, 1, 1], generator: g }),
  new Conv3d(32, 32, [3, 3, 1], { padding: [1, 1, 0], generator: g }),
).to(device);
const opt = new SGD(model.namedParameters(), { lr: 1e-2, momentum: 0.99, nesterov: true });
const x = randn([2, 1, size, size, size], { generator: g }).toDevice(device).keep();

const times: number[] = [];
for (let i = 0; i < warmup + steps; i++) {
  const t0 = process.hrtime.bigint();
  tidy(() => {
    opt.zeroGrad();
    model.forward(x).sum().backward();
    opt.step();
  });
  if (device !== 'cpu') synchronize();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (i >= warmup) times.push(ms);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({
  median_ms: times[Math.floor(times.length / 2)],
  peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  threads: engineConfig().threads,
}));
