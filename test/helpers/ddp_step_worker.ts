/**
 * One process of test/distributed.test.ts: PSP-Seg S trained for a few steps as the trainer's step does
 * (masked pass, forward, Dice + CE + 0.1 TR + 0.1 RL with deep supervision, backward, clipping at 12, SGD
 * with nnU-Net's settings) on a fixed batch of two hippocampus-like samples.
 *   worldSize 1: the whole batch of two in this one process;
 *   worldSize 2: rank r takes sample r (batch 1), joins a c10d group on 127.0.0.1, takes rank 0's weights
 *   (its own are initialised from another seed, so the broadcast must work) and averages the gradients.
 * Sample 1 has a slab of ignored voxels (-1, as padding), so the ranks' counts of labelled voxels differ.
 * Argument: JSON {rank, worldSize, port, steps, out, timeoutMs?, dieAtStep?, batchDice?, localLoss?}. Writes the final parameters to
 * `out` (safetensors) and prints one JSON line: the losses per step and what each exchange moved.
 */
import { Generator, ProcessGroup, noGrad, randn, saveSafetensors, setThreads, tensor, tidy } from '../../src/tensor/index.js';
import { SGD, averageGradients, broadcastParameters, clipGradNorm } from '../../src/optim/index.js';
import { LOCAL_BATCH, batchAcrossRanks, maskInput, parseLossConfig, pspsegLoss } from '../../src/losses/index.js';
import { DEFAULT_DS_SCALES, deepSupervisionTargets } from '../../src/data/augment/deep_supervision.js';
import { buildNetwork, pspArchitecture } from '../../src/models/index.js';
import { checkSameArchitecture } from '../../src/train/data_parallel.js';

interface Args {
  rank: number; worldSize: number; port: number; steps: number; out: string; timeoutMs?: number; dieAtStep?: number;
  /** nnU-Net's batch Dice (tp/fp/fn summed over the batch: over the ranks too). */
  batchDice?: boolean;
  /** Leave out the loss' reduction over ranks (a control: then the ranks do not train like one process). */
  localLoss?: boolean;
  /** Only compare the ranks' architectures (rank 1's differs when 'differ') and exit. */
  architecture?: 'same' | 'differ';
}
const a = JSON.parse(process.argv[2]!) as Args;
setThreads(1);

const group = a.worldSize > 1
  ? ProcessGroup.join({ rank: a.rank, worldSize: a.worldSize, masterAddr: '127.0.0.1', masterPort: a.port, timeoutMs: a.timeoutMs ?? 30000 })
  : null;

if (group && a.architecture) {
  const description = { blocks: { enc1: ['active', a.rank === 1 && a.architecture === 'differ' ? 'deleted' : 'active'] } };
  checkSameArchitecture({ group, rank: a.rank, worldSize: a.worldSize, localRank: a.rank }, description, 3);
  console.log(JSON.stringify({ rank: a.rank, architecture: 'same' }));
  group.destroy();
  process.exit(0);
}

// Rank 1 starts from other weights: broadcastParameters must replace them with rank 0's.
const net = buildNetwork(pspArchitecture({ variant: 'S', inChannels: 1, classes: 3, deepSupervision: true }), { generator: new Generator(a.rank === 0 ? 7 : 8) });
const params = net.parameters();
const opt = new SGD(net.namedParameters(), { lr: 1e-2, momentum: 0.99, nesterov: true, weightDecay: 3e-5 });
const loss = parseLossConfig({ name: 'psp', batchDice: a.batchDice ?? false }, 'test');
const batch = group && !a.localLoss ? batchAcrossRanks(group) : LOCAL_BATCH;

// The fixed batch: two samples, a bright ellipsoid-like blob of two labels in noise (patch 16x32x32).
const { image, label } = tidy(() => {
  const g = new Generator(11);
  const shape = [2, 1, 16, 32, 32];
  const noise = randn(shape, { generator: g });
  const data = new Int32Array(2 * 16 * 32 * 32);
  for (let b = 0; b < 2; b++)
    for (let z = 0; z < 16; z++)
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++) {
          const r = ((z - 8) / 5) ** 2 + ((y - 14 - 3 * b) / 9) ** 2 + ((x - 16 + 2 * b) / 8) ** 2;
          const i = ((b * 16 + z) * 32 + y) * 32 + x;
          if (r < 1) data[i] = r < 0.4 ? 2 : 1;
          if (b === 1 && z < 3) data[i] = -1;
        }
  const labels = tensor(data, shape).to('int64');
  const img = noise.add(labels.to('float32').mul(1.5));
  const take = (t: typeof img) => (group ? t.narrow(0, a.rank, 1) : t).contiguous().keep();
  return { image: take(img), label: take(labels) };
});
const targets = tidy(() => deepSupervisionTargets(label, DEFAULT_DS_SCALES.map((s) => s)).map((t) => t.keep()));

let exchanged = { broadcast: 0, gradients: 0, collectives: 0 };
if (group) exchanged.broadcast = broadcastParameters(group, params).bytes;

const losses: number[] = [];
for (let step = 0; step < a.steps; step++) {
  if (a.dieAtStep === step) process.kill(process.pid, 'SIGKILL');
  tidy(() => {
    opt.zeroGrad();
    const masked = noGrad(() => net.encode(maskInput(image, label, -1)));
    const out = net.forward(image);
    const { total } = pspsegLoss(out, masked, targets, loss, batch);
    total.backward();
    if (group) {
      const s = averageGradients(group, params);
      exchanged = { ...exchanged, gradients: s.bytes, collectives: s.collectives };
    }
    clipGradNorm(params, 12);
    opt.step();
    losses.push(total.item());
  });
}
saveSafetensors(a.out, new Map(net.namedParameters()));
console.log(JSON.stringify({ rank: a.rank, worldSize: a.worldSize, losses, exchanged }));
group?.destroy();

