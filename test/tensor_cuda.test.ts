/**
 * What runs on a CUDA GPU, each against the same computation on the CPU: a training step of PSP-Seg S
 * with TR and RL (losses and gradients), pruning's masked forward, sliding-window prediction, a
 * safetensors round trip, and the CUDA allocator's memory figures. Skipped where libtorch has no CUDA
 * (scripts/check_cuda.sh runs this file on a GPU machine); there, cudaMemory is a clear error.
 * PSPSEG_CHECK_DEVICE=cpu runs the same comparisons with the CPU in the GPU's place (check_cuda.sh
 * --dry-run: the tests' own code runs, if not on a GPU).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type Device, type Tensor, Generator, TorchError, cudaMemory, engineConfig, loadSafetensors, noGrad, randn, randint, saveSafetensors, tidy } from '../src/tensor/index.js';
import { PSPSegNet, pspArchitecture } from '../src/models/index.js';
import { maskInput, parseLossConfig, pspsegLoss } from '../src/losses/index.js';
import { maskBlocks } from '../src/pruning/index.js';
import { predictSlidingWindow } from '../src/infer/predict_logits.js';
import { libtorchWindowForward } from '../src/infer/libtorch_forward.js';
import { deepSupervisionTargets } from '../src/data/augment/deep_supervision.js';
import { tempDir } from './helpers.js';

const cuda = engineConfig().cuda && engineConfig().cudaDevices > 0;
/** The device compared with the CPU. */
const GPU = (process.env.PSPSEG_CHECK_DEVICE ?? 'cuda') as 'cuda' | 'cpu';
const skip = GPU === 'cuda' && !cuda && 'this libtorch has no CUDA device';
const maxDiff = (a: Tensor, b: Tensor): number => tidy(() => a.toDevice('cpu').sub(b.toDevice('cpu')).abs().max().item());

/** PSP-Seg S for 1 channel and 3 classes, the same weights on either device. */
function network(device: Device): PSPSegNet {
  const net = new PSPSegNet(pspArchitecture({ variant: 'S', classes: 3 }), { generator: new Generator(3) });
  return net.to(device);
}

test('cudaMemory without a CUDA libtorch: a clear error, not a crash', { skip: engineConfig().cuda && 'this libtorch has CUDA' }, () => {
  assert.throws(() => cudaMemory(), (e: unknown) => e instanceof TorchError && e.code === 'UNSUPPORTED' && /without CUDA/.test(e.message));
});

test('CUDA: a PSP-Seg S training step with TR and RL gives the CPU\'s losses and gradients; the allocator reports its peak', { skip }, () => {
  const nets = { cpu: network('cpu'), gpu: network(GPU) };
  if (GPU === 'cuda') cudaMemory(0, { resetPeak: true });
  const run = (side: 'cpu' | 'gpu') => tidy(() => {
    const device = side === 'cpu' ? 'cpu' : GPU;
    const g = new Generator(11);
    const image = randn([2, 1, 32, 32, 32], { generator: g }).toDevice(device);
    const label = randint(0, 3, [2, 1, 32, 32, 32], g).toDevice(device);
    const net = nets[side];
    net.train();
    net.zeroGrad();
    const targets = deepSupervisionTargets(label, [[1, 1, 1], [0.5, 0.5, 0.5], [0.25, 0.25, 0.25], [0.125, 0.125, 0.125]]);
    const masked = noGrad(() => net.encode(maskInput(image, label, -1)));
    const { total, terms } = pspsegLoss(net.forward(image), masked, targets, parseLossConfig({ name: 'psp' }));
    total.backward();
    // (the lowest deep-supervision head has weight 0: no gradient reaches it, on either device)
    return { terms, grads: new Map(net.namedParameters().map(([n, p]) => [n, p.grad?.toDevice('cpu') ?? null])) };
  });
  const a = run('cpu'), b = run('gpu');
  for (const k of ['total', 'seg', 'tr', 'rl'] as const) assert.ok(Math.abs(a.terms[k]! - b.terms[k]!) < 1e-3 * Math.max(1, Math.abs(a.terms[k]!)), `${k}: cpu ${a.terms[k]}, cuda ${b.terms[k]}`);
  for (const [name, g] of a.grads) {
    const h = b.grads.get(name)!;
    assert.equal(g === null, h === null, `${name}: a gradient on one device only`);
    if (g === null || h === null) continue;
    const d = maxDiff(g, h), scale = tidy(() => g.abs().max().item());
    assert.ok(d <= 1e-2 * Math.max(scale, 1e-6), `gradient of ${name}: differs by ${d} (largest ${scale})`);
  }
  for (const t of [...a.grads.values(), ...b.grads.values()]) t?.dispose();
  if (GPU === 'cuda') {
    const m = cudaMemory(0);
    assert.ok(m.peakAllocated > 0 && m.peakAllocated >= m.allocated && m.reserved >= m.allocated, JSON.stringify(m));
  }
  nets.cpu.dispose(); nets.gpu.dispose();
});

test('CUDA: pruning\'s masked forward and sliding-window prediction match the CPU\'s', { skip }, async () => {
  const nets = { cpu: network('cpu'), gpu: network(GPU) };
  for (const net of Object.values(nets)) {
    net.eval();
    maskBlocks(net, [{ module: 'enc2', block: 1 }, { module: 'dec1', block: 3 }]);
  }
  const x = randn([1, 1, 32, 32, 32], { generator: new Generator(4) }).keep();
  const out = (side: 'cpu' | 'gpu') => noGrad(() => tidy(() => nets[side].forward(x.toDevice(side === 'cpu' ? 'cpu' : GPU)).logits[0]!.toDevice('cpu')));
  const [a, b] = [out('cpu'), out('gpu')];
  assert.ok(maxDiff(a, b) < 1e-3, `masked forward differs by ${maxDiff(a, b)}`);
  const image = Float32Array.from(randn([40, 48, 36], { generator: new Generator(5) }).toArray() as number[]);
  const window = (side: 'cpu' | 'gpu') => predictSlidingWindow(libtorchWindowForward(nets[side], side === 'cpu' ? 'cpu' : GPU), [image], [40, 48, 36],
    { patchSize: [32, 32, 32], numClasses: 3, mirrorAxes: [0, 1, 2], windowsPerForward: 2 });
  const [p, q] = [await window('cpu'), await window('gpu')];
  assert.equal(q.windows, p.windows);
  let worst = 0;
  p.logits.forEach((c, k) => c.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - q.logits[k]![i]!)); }));
  assert.ok(worst < 1e-3, `sliding-window logits differ by ${worst}`);
  for (const t of [a, b, x]) t.dispose();
  nets.cpu.dispose(); nets.gpu.dispose();
});

test('CUDA: safetensors written from GPU tensors read back bit-identical', { skip }, (t) => {
  const path = join(tempDir(t, 'pspseg-cuda-'), 'w.safetensors');
  tidy(() => {
    const w = randn([3, 4, 5], { generator: new Generator(6) }).toDevice(GPU);
    saveSafetensors(path, new Map([['w', w]]));
    const back = loadSafetensors(path);
    assert.deepEqual(back.tensors.get('w')!.toArray(), w.toDevice('cpu').toArray());
    for (const b of back.tensors.values()) b.dispose();
  });
});
