/** Masked, then deleted: same outputs, exactly the block's parameters gone from model and optimiser, training goes on. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Generator, type Tensor, liveTensorCount, loadSafetensors, noGrad, randn, tidy } from '../src/tensor/index.js';
import { AdamW, type Optimizer, SGD } from '../src/optim/index.js';
import { activeParameters, deleteBlocks, maskBlocks } from '../src/pruning/index.js';
import { StandInNet, standInBlockParameters } from './pruning_standin.js';

const makers: [string, (n: StandInNet) => Optimizer, string[]][] = [
  ['SGD (Nesterov momentum)', (n) => new SGD(n.namedParameters(), { lr: 0.01, momentum: 0.99, nesterov: true, weightDecay: 3e-5 }), ['momentum_buffer']],
  ['AdamW', (n) => new AdamW(n.namedParameters(), { lr: 1e-3 }), ['exp_avg', 'exp_avg_sq']],
];

function trainStep(net: StandInNet, opt: Optimizer, x: Tensor, target: Tensor): number {
  opt.zeroGrad();
  const loss = tidy(() => { const l = net.forward(x).sub(target).square().mean(); l.backward(); return l.item(); });
  opt.step();
  return loss;
}

const stateKeys = (opt: Optimizer, dir: string, tag: string) => {
  const path = join(dir, `${tag}.safetensors`);
  opt.saveState(path);
  const { tensors } = loadSafetensors(path);
  const keys = [...tensors.keys()].sort();
  tensors.forEach((t) => t.dispose());
  return keys;
};

for (const [name, make, slots] of makers) test(`mask then delete with ${name}`, () => {
  const before = liveTensorCount();
  const dir = mkdtempSync(join(tmpdir(), 'pspseg-prune-'));
  const net = new StandInNet(4, 5);
  const opt = make(net);
  const g = new Generator(9);
  const x = randn([2, 1, 4, 5, 6], { generator: g }).keep();
  const target = randn([2, 2, 4, 5, 6], { generator: g }).keep();
  for (let i = 0; i < 2; i++) trainStep(net, opt, x, target);
  const keysBefore = stateKeys(opt, dir, 'before');
  const paramsBefore = net.numParameters();

  const refs = [{ module: 'enc1', block: 1 }, { module: 'dec1', block: 3 }];
  maskBlocks(net, refs);
  const expectedDrop = standInBlockParameters(4, [1, 3, 3]) + standInBlockParameters(4, [3, 3, 1]);
  assert.equal(net.numParameters(), paramsBefore, 'masking keeps the parameters');
  assert.equal(activeParameters(net), paramsBefore - expectedDrop);
  const masked = noGrad(() => tidy(() => net.forward(x).toArray()));

  const removed = deleteBlocks(net, refs, opt);
  const deleted = noGrad(() => tidy(() => net.forward(x).toArray()));
  assert.deepEqual(deleted, masked, 'outputs bit-identical');
  assert.equal(net.numParameters(), paramsBefore - expectedDrop);
  assert.deepEqual(removed.sort(), ['dec1.b3.conv.bias', 'dec1.b3.conv.weight', 'dec1.b3.scale', 'enc1.b1.conv.bias', 'enc1.b1.conv.weight', 'enc1.b1.scale']);

  // Optimiser: the removed parameters and their state are gone, the rest is untouched.
  const names = new Set(opt.parameterNames());
  assert.ok(removed.every((n) => !names.has(n)));
  assert.deepEqual([...names].sort(), net.namedParameters().map(([n]) => n).sort());
  const keysAfter = stateKeys(opt, dir, 'after');
  const gone = removed.flatMap((n) => slots.map((s) => `${n}::${s}`)).sort();
  assert.ok(gone.every((k) => keysBefore.includes(k)), 'the state existed before');
  assert.deepEqual(keysAfter, keysBefore.filter((k) => !gone.includes(k)));

  // Training goes on: the remaining parameters move, the loss stays finite.
  const w = net.enc1.block(0).conv.namedParameters()[0]![1];
  const w0 = w.toArray();
  const losses = [trainStep(net, opt, x, target), trainStep(net, opt, x, target)];
  assert.ok(losses.every(Number.isFinite));
  assert.notDeepEqual(w.toArray(), w0);
  assert.equal(stateKeys(opt, dir, 'later').length, keysAfter.length);

  opt.zeroGrad();
  opt.dispose();
  net.dispose();
  x.dispose(); target.dispose();
  assert.equal(liveTensorCount(), before, 'no tensor leaked');
});

test('deletion refuses what it cannot do, naming the block', () => {
  const net = new StandInNet(4, 5);
  deleteBlocks(net, [{ module: 'enc1', block: 0 }], null);
  assert.throws(() => deleteBlocks(net, [{ module: 'enc1', block: 0 }], null), /enc1\.b0 is already deleted/);
  assert.throws(() => deleteBlocks(net, [{ module: 'enc9', block: 0 }], null), /no PRM 'enc9'.*enc1, dec1/);
  assert.throws(() => maskBlocks(net, [{ module: 'dec1', block: 7 }]), /'dec1' has no block 7/);
  net.dispose();
});
