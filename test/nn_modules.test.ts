/** Modules, layers, initialisation, and module weights saved as safetensors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Generator, type Tensor, empty, liveTensorCount, ones, randn, tidy } from '../src/tensor/index.js';
import {
  Conv3d, ConvTranspose3d, InstanceNorm3d, LeakyReLU, Sequential, chain, kaimingNormal_, loadWeights, saveWeights,
} from '../src/nn/index.js';
import { assertClose, tempDir } from './helpers.js';

const net = (seed = 0) => {
  const g = new Generator(seed);
  return new Sequential(new Conv3d(1, 4, 3, { generator: g }), new InstanceNorm3d(4), new LeakyReLU(0.01),
    new Conv3d(4, 2, [1, 3, 3], { generator: g }), new ConvTranspose3d(2, 3, 2, { stride: 2, generator: g }));
};

test('modules name their parameters, count them, and compute the right shapes', () => {
  const m = net();
  assert.deepEqual(m.namedParameters().map(([n, p]) => `${n}:${p.shape}`), [
    '0.weight:4,1,3,3,3', '0.bias:4', '1.weight:4', '1.bias:4', '3.weight:2,4,1,3,3', '3.bias:2', '4.weight:2,3,2,2,2', '4.bias:3',
  ]);
  assert.equal(m.numParameters(), 4 * 27 + 4 + 8 + 2 * 4 * 9 + 2 + 2 * 3 * 8 + 3);
  tidy(() => assert.deepEqual(m.forward(ones([2, 1, 4, 6, 6])).shape, [2, 3, 8, 12, 12]));
  const c = new Conv3d(2, 2, 3, { stride: 2, padding: 1 });
  assert.deepEqual(c.outputShape([64, 63, 5]), [32, 32, 3]);
  tidy(() => assert.deepEqual(c.forward(ones([1, 2, 64, 63, 5])).shape, [1, 2, 32, 32, 3]));
  c.dispose();
  m.dispose();
});

test('chain frees each intermediate once the next step has returned, never its input, and keeps what a step returns itself', () => {
  tidy(() => {
    const x = ones([2, 3]);
    const seen: Tensor[] = [];
    const before = liveTensorCount();
    const y = chain(x,
      (t) => t.add(1),
      (t) => { seen.push(t); return t.mul(2).add(0); }, // the mul's output is a temporary of this step
      (t) => t.add_(1), // in place: returns its input, which must stay alive
      (t) => {
        seen.push(t);
        assert.ok(seen[0]!.isDisposed, "step 1's output is freed as soon as step 2 has returned");
        assert.equal(liveTensorCount(), before + 1, 'only the input of this step is alive');
        return t;
      },
      new LeakyReLU(0.5));
    assert.ok(seen[1]!.isDisposed && !x.isDisposed && !y.isDisposed);
    assert.deepEqual([...y.toTypedArray()], Array(6).fill(5));
    assert.equal(liveTensorCount(), before + 1, 'the result is all that is left');
    assert.equal(chain(x), x, 'no steps: the input itself');
  });
});

test('Kaiming-normal init has std sqrt(2/(1+a^2))/sqrt(fan_in) and zero bias', () => {
  tidy(() => {
    const w = kaimingNormal_(empty([64, 32, 3, 3, 3]), 0.01, new Generator(3));
    const expected = Math.sqrt(2 / (1 + 1e-4)) / Math.sqrt(32 * 27);
    assertClose([w.std().item()], [expected], { rtol: 0.02 }, 'std');
    assert.ok(Math.abs(w.mean().item()) < expected * 0.02);
    const c = new Conv3d(8, 8, 3);
    assert.equal(c.parameters()[1].abs().sum().item(), 0);
    c.dispose();
  });
});

test('train/eval propagate; deleteModule frees the child; dispose frees everything', () => {
  const before = liveTensorCount();
  const m = net();
  m.eval();
  assert.equal(m.namedChildren()[0][1].training, false);
  m.train();
  assert.equal(m.namedChildren()[0][1].training, true);
  m.deleteModule('4');
  assert.equal(m.namedParameters().length, 6);
  tidy(() => assert.deepEqual(m.forward(ones([1, 1, 2, 4, 4])).shape, [1, 2, 2, 4, 4]));
  m.dispose();
  assert.equal(liveTensorCount(), before);
});

test('weights round-trip through safetensors; strict and partial loading', (t) => {
  const dir = tempDir(t, 'pspseg-nn-');
  const a = net(1);
  const b = net(2);
  const file = join(dir, 'w.safetensors');
  saveWeights(file, a, { architecture: '{"kind":"test"}' });
  const { metadata } = loadWeights(file, b);
  assert.equal(metadata.architecture, '{"kind":"test"}');
  for (const [[n, pa], [, pb]] of a.namedParameters().map((e, i) => [e, b.namedParameters()[i]] as const))
    assert.deepEqual(pa.toArray(), pb.toArray(), n);
  tidy(() => {
    const x = randn([1, 1, 4, 4, 4], { generator: new Generator(9) });
    assert.deepEqual(a.forward(x).toArray(), b.forward(x).toArray());
  });
  // strict: a model with a missing layer names the unexpected keys; a shape change names the key
  const smaller = new Sequential(new Conv3d(1, 4, 3), new InstanceNorm3d(4));
  assert.throws(() => loadWeights(file, smaller), (e: Error) => e.message.includes(file) && /unexpected key\(s\):.*\b3\.weight\b/.test(e.message));
  const partial = loadWeights(file, smaller, { strict: false });
  assert.ok(partial.unexpected.includes('4.bias'));
  assert.deepEqual(partial.missing, []);
  const wrong = new Sequential(new Conv3d(1, 5, 3));
  assert.throws(() => loadWeights(file, wrong, { strict: false }), /shape mismatch for '0.weight'/);
  for (const m of [a, b, smaller, wrong]) m.dispose();
});
