/**
 * pspseg's networks against PyTorch: scripts/make_model_fixtures.py builds a tiny PSP-Seg (a masked
 * and a deleted PRM block, affine norms, deep supervision) and a tiny anisotropic PlainConvUNet from
 * their definitions, with random weights. Our networks, rebuilt from the same architecture files, load
 * those weights strictly by name and must reproduce every output and every parameter gradient.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type Tensor, liveTensorCount, tidy } from '../src/tensor/index.js';
import { loadSafetensors } from '../src/tensor/index.js';
import { loadWeights } from '../src/nn/index.js';
import { buildNetwork, loadArchitecture } from '../src/models/index.js';
import { assertClose, fixturesDir } from './helpers.js';

function check(name: string): void {
  const arch = loadArchitecture(join(fixturesDir, `models_${name}.architecture.json`));
  const net = buildNetwork(arch);
  loadWeights(join(fixturesDir, `models_${name}.safetensors`), net); // strict: same names, same shapes
  const { tensors: e } = loadSafetensors(join(fixturesDir, `models_${name}_expected.safetensors`));
  const get = (k: string): Tensor => { const t = e.get(k); assert.ok(t, `fixture has ${k}`); return t; };
  const close = (actual: Tensor, expected: Tensor, what: string, tol = 1e-4) => {
    assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
    assertClose(actual.toTypedArray() as Float32Array, expected.toTypedArray() as Float32Array, { rtol: tol, atol: tol }, what);
  };
  const live = liveTensorCount();
  tidy(() => {
    const out = net.forward(get('input'));
    out.logits.forEach((l, i) => close(l, get(`logits.${i}`), `${name} logits[${i}]`));
    assert.equal(out.logits.length, [...e.keys()].filter((k) => k.startsWith('logits.')).length, 'number of logits');
    out.encoderFeatures.forEach((f, i) => close(f, get(`features.${i}`), `${name} encoderFeatures[${i}]`));
    assert.ok(out.regionFeatures);
    close(out.regionFeatures, get('region'), `${name} regionFeatures`);
    let loss = out.regionFeatures.mul(get('w.region')).sum();
    out.logits.forEach((l, i) => { loss = loss.add(l.mul(get(`w.logits.${i}`)).sum()); });
    loss.backward();
    for (const [k, p] of net.namedParameters()) {
      const g = p.grad, want = e.get(`grad.${k}`);
      if (!want) { assert.equal(g, null, `${k}: a masked block gets no gradient`); continue; }
      assert.ok(g, `${k} has a gradient`);
      close(g, want, `${name} grad ${k}`, 2e-4);
    }
  });
  net.zeroGrad();
  assert.equal(liveTensorCount(), live, 'forward and backward leave no tensor behind');
  for (const t of e.values()) t.dispose();
  net.dispose();
}

test('PSP-Seg reproduces the PyTorch reference (outputs and gradients, masked and deleted blocks)', () => check('psp_tiny'));
test('PlainUNet reproduces the PyTorch PlainConvUNet (outputs and gradients, anisotropic strides and kernels)', () => check('plain_tiny'));
