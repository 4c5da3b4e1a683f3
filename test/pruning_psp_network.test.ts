/**
 * The real PSP-Seg network as pruning sees it (src/pruning/prunable.ts, matched structurally): its
 * PRMs are named, report their blocks, call the forward hook once per forward with their input and
 * output; the block search's scores on it equal scores computed from kept inputs with
 * `forwardExcluding` (a separate code path); deleting blocks removes exactly the names it reports
 * from the network and the optimiser; decoder features for the paper's RL variant.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, type Tensor, liveTensorCount, noGrad, randn, tidy } from '../src/tensor/index.js';
import { SGD } from '../src/optim/index.js';
import { type PSPSegNet, buildNetwork, pspArchitecture } from '../src/models/index.js';
import { type PrunableNetwork, architectureOf, combinations, deleteBlocks, maskBlocks, searchBlocks } from '../src/pruning/index.js';
import { assertClose } from './helpers.js';

const small = (seed: number, o: { deepSupervision?: boolean } = {}) => {
  const g = new Generator(seed);
  const net = buildNetwork(pspArchitecture({ variant: 'S', channels: [4, 8, 16, 32], classes: 3, ...o }), { generator: g }) as PSPSegNet;
  // Non-zero PRM weights, so that every block changes its PRM's output.
  noGrad(() => { for (const m of net.prunableModules()) for (const b of m.blocks()) m.block(b.index)!.scale.copy_(tidy(() => randn([1], { generator: g }))); });
  return { net, g };
};

test('PSPSegNet is a PrunableNetwork: named PRMs in network order, block views, one hook call per forward', () => {
  const { net, g } = small(1);
  const p: PrunableNetwork = net; // the structural match, checked by the compiler
  assert.deepEqual(p.prunableModules().map((m) => m.name), ['enc1', 'enc2', 'enc3', 'dec2', 'dec1']);
  const enc2 = net.prunableModules()[1]!;
  assert.deepEqual(enc2.blocks().map((b) => [b.index, b.kernel.join('x'), b.state]), [[0, '1x1x1', 'active'], [1, '1x3x3', 'active'], [2, '3x1x3', 'active'], [3, '3x3x1', 'active']]);
  assert.equal(enc2.blocks().reduce((n, b) => n + b.numParameters(), 0) + 0, enc2.numParameters());
  const calls: [number[], number][] = [];
  tidy(() => {
    const x = randn([1, 1, 8, 8, 8], { generator: g });
    enc2.forwardHook = (input, output) => {
      enc2.forwardHook = null; // the check's own forward must not call back in
      calls.push([input.shape, tidy(() => output.sub(enc2.forward(input)).abs().max().item())]);
    };
    noGrad(() => net.forward(x));
    enc2.forwardHook = null;
  });
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0]![0], [1, 16, 2, 2, 2]);
  assert.equal(calls[0]![1], 0, 'the hook sees the output forward returns');
  net.dispose();
});

test('block search on PSP-Seg equals scores from kept PRM inputs with forwardExcluding', async () => {
  const { net, g } = small(2);
  const shape = [2, 1, 8, 8, 8];
  const images = [0, 1, 2].map(() => randn(shape, { generator: g }).keep());
  // Reference: keep every PRM's input and output, then score each single block with forwardExcluding.
  const kept = new Map<string, [Tensor, Tensor][]>();
  for (const m of net.prunableModules()) m.forwardHook = (x, y) => { (kept.get(m.name) ?? kept.set(m.name, []).get(m.name)!).push([x.clone().keep(), y.clone().keep()]); };
  net.eval();
  for (const x of images) noGrad(() => tidy(() => { net.forward(x); }));
  for (const m of net.prunableModules()) m.forwardHook = null;
  const reference = new Map(net.prunableModules().map((m) => [m.name, combinations([0, 1, 2, 3], 1).map(([j]) =>
    kept.get(m.name)!.reduce((s, [x, y]) => s + noGrad(() => tidy(() => y.sub(m.forwardExcluding(x, new Set([j!]))).norm().item())), 0))]));
  for (const pairs of kept.values()) pairs.flat().forEach((t) => t.dispose());

  let i = 0;
  const live = liveTensorCount();
  const { choices } = await searchBlocks({ network: net, batches: 3, drawBatch: async () => ({ image: images[i++]!, dispose: () => undefined }) },
    net.prunableModules(), 1);
  assert.equal(liveTensorCount(), live, 'the search frees what it computes');
  for (const c of choices) {
    const ref = reference.get(c.module)!;
    assertClose(c.scores.map((s) => s.score), ref, { rtol: 1e-5 }, c.module);
    assert.deepEqual(c.blocks, [ref.indexOf(Math.min(...ref))], `${c.module}: the smallest change wins`);
  }
  images.forEach((t) => t.dispose());
  net.dispose();
});

test('deleting blocks of PSP-Seg: the reported names leave the network and the optimiser; the architecture says so', () => {
  const { net } = small(3);
  const opt = new SGD(net.namedParameters(), { lr: 0.1, momentum: 0.9 });
  const refs = [{ module: 'enc3', block: 2 }, { module: 'dec1', block: 0 }];
  maskBlocks(net, refs);
  const before = new Set(net.namedParameters().map(([n]) => n));
  const removed = deleteBlocks(net, refs, opt); // checks the count falls by the blocks' parameters
  const after = new Set(net.namedParameters().map(([n]) => n));
  assert.deepEqual(removed.sort(), [...before].filter((n) => !after.has(n)).sort());
  assert.ok(removed.includes('enc3.b2.scale') && removed.includes('dec1.b0.reduce.weight'));
  assert.deepEqual(opt.parameterNames().sort(), [...after].sort());
  assert.deepEqual(architectureOf(net).enc3, ['active', 'active', 'deleted', 'active']);
  assert.deepEqual(net.architecture().kind === 'psp' && net.architecture().blocks.dec1, ['deleted', 'active', 'active', 'active']);
  assert.deepEqual(net.prunableModules()[2]!.deleteBlock(2), [], 'deleting twice removes nothing');
  opt.dispose();
  net.dispose();
});

test('decoder features for the paper RL variant: every decoder stage, full resolution first; the rest unchanged', () => {
  const { net, g } = small(4);
  tidy(() => {
    const x = randn([1, 1, 16, 8, 8], { generator: g });
    const plain = net.forward(x);
    assert.equal(plain.decoderFeatures, undefined);
    net.returnDecoderFeatures = true;
    const o = net.forward(x);
    assert.deepEqual(o.decoderFeatures!.map((t) => t.shape), [[1, 4, 16, 8, 8], [1, 8, 8, 4, 4], [1, 16, 4, 2, 2]]);
    assert.equal(o.decoderFeatures![1], o.regionFeatures, 'dec1 is the region map');
    plain.logits.forEach((l, i) => assert.equal(l.sub(o.logits[i]!).abs().max().item(), 0));
  });
  net.dispose();
});
