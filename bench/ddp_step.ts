/**
 * One rank of bench/ddp.ts: the trainer's step for PSP-Seg S (masked pass, forward, Dice + CE + 0.1 TR +
 * 0.1 RL with deep supervision and the loss' batch statistics over the ranks, backward, gradient averaging,
 * clipping, SGD) on a synthetic hippocampus-like batch, timed per phase. Argument: JSON {rank, worldSize,
 * masterAddr, port, patch, batch (this rank's), warmup, steps}. Last line: one JSON object (rank 0's figures
 * are the benchmark's): median step ms, median ms in the gradient allreduce, bytes reduced per step.
 */
import { Generator, ProcessGroup, engineConfig, noGrad, randn, tensor, tidy } from '../src/tensor/index.js';
import { SGD, averageGradients, broadcastParameters, clipGradNorm } from '../src/optim/index.js';
import { LOCAL_BATCH, batchAcrossRanks, maskInput, parseLossConfig, pspsegLoss } from '../src/losses/index.js';
import { DEFAULT_DS_SCALES, deepSupervisionTargets } from '../src/data/augment/deep_supervision.js';
import { buildNetwork, pspArchitecture } from '../src/models/index.js';

interface Args { rank: number; worldSize: number; masterAddr: string; iface?: string; port: number; patch: [number, number, number]; batch: number; warmup: number; steps: number }
const a = JSON.parse(process.argv[2]!) as Args;
const group = a.worldSize > 1 ? ProcessGroup.join({ rank: a.rank, worldSize: a.worldSize, masterAddr: a.masterAddr, masterPort: a.port, iface: a.iface, timeoutMs: 120_000 }) : null;
const net = buildNetwork(pspArchitecture({ variant: 'S', inChannels: 1, classes: 3, deepSupervision: true }), { generator: new Generator(0) });
const params = net.parameters();
const opt = new SGD(net.namedParameters(), { lr: 1e-2, momentum: 0.99, nesterov: true, weightDecay: 3e-5 });
const loss = parseLossConfig({ name: 'psp' }, 'bench');
const batch = group ? batchAcrossRanks(group) : LOCAL_BATCH;
if (group) broadcastParameters(group, params);

// A blob of two labels in noise per sample, its position moved by the rank and sample.
const [d, h, w] = a.patch;
const { image, label } = tidy(() => {
  const data = new Int32Array(a.batch * d * h * w);
  for (let b = 0; b < a.batch; b++)
    for (let z = 0; z < d; z++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const s = a.rank * a.batch + b;
          const r = ((z - d / 2) / (d / 3)) ** 2 + ((y - h / 2 + s) / (h / 3)) ** 2 + ((x - w / 2) / (w / 3)) ** 2;
          if (r < 1) data[((b * d + z) * h + y) * w + x] = r < 0.4 ? 2 : 1;
        }
  const lab = tensor(data, [a.batch, 1, d, h, w]).to('int64');
  const img = randn([a.batch, 1, d, h, w], { generator: new Generator(1 + a.rank) }).add(lab.to('float32').mul(1.5));
  return { image: img.keep(), label: lab.keep() };
});
const targets = tidy(() => deepSupervisionTargets(label, DEFAULT_DS_SCALES.map((s) => s)).map((t) => t.keep()));

const steps: number[] = [], reduce: number[] = [];
let bytes = 0, collectives = 0;
for (let i = 0; i < a.warmup + a.steps; i++) {
  const t0 = performance.now();
  let tr = 0;
  tidy(() => {
    opt.zeroGrad();
    const masked = noGrad(() => net.encode(maskInput(image, label, -1)));
    const { total } = pspsegLoss(net.forward(image), masked, targets, loss, batch);
    total.backward();
    if (group) {
      const t = performance.now();
      const s = averageGradients(group, params);
      tr = performance.now() - t;
      bytes = s.bytes;
      collectives = s.collectives;
    }
    clipGradNorm(params, 12);
    opt.step();
  });
  if (i >= a.warmup) {
    steps.push(performance.now() - t0);
    reduce.push(tr);
  }
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
console.log(JSON.stringify({
  rank: a.rank, world: a.worldSize, threads: engineConfig().threads, batch: a.batch,
  step_ms: +median(steps).toFixed(1), allreduce_ms: +median(reduce).toFixed(1), bytes_per_step: bytes, collectives_per_step: collectives,
}));
group?.destroy();
