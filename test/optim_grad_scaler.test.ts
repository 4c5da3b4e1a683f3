/**
 * GradScaler (fp16's dynamic loss scaling, torch.cuda.amp.GradScaler's algorithm), on its CPU path (the
 * same arithmetic as libtorch's CUDA kernels): the scaled loss' gradients unscale to the plain loss'
 * gradients; a step with an inf gradient is skipped (weights and momentum untouched), counted, and
 * halves the scale; growthInterval good steps in a row double it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy } from '../src/tensor/index.js';
import { GradScaler, SGD } from '../src/optim/index.js';

test('GradScaler: unscaled gradients equal the plain loss\' gradients; inf skips the step and backs off; growth doubles', () => tidy(() => {
  const w = tensor(new Float32Array([1, -2, 3]), [3]).requiresGrad_().keep();
  const opt = new SGD([['w', w]], { lr: 0.1, momentum: 0.9 });
  const scaler = new GradScaler('cpu', { initScale: 1024, growthInterval: 2 });
  const loss = () => w.mul(w).sum().mul(0.5); // gradient: w

  opt.zeroGrad();
  scaler.scaleLoss(loss()).backward();
  assert.deepEqual([...w.grad!.toTypedArray<'float32'>()], [1024, -2048, 3072], 'backward saw the scaled loss');
  assert.equal(scaler.unscale([w]), true);
  assert.deepEqual([...w.grad!.toTypedArray<'float32'>()], [1, -2, 3], 'unscaled: the plain loss\' gradient');
  scaler.step(opt, true);
  const afterGood = [...w.toTypedArray<'float32'>()];
  assert.deepEqual(afterGood.map((v) => +v.toFixed(5)), [0.9, -1.8, 2.7]);
  assert.equal(scaler.scale, 1024, 'one good step of growthInterval 2: no growth yet');

  opt.zeroGrad();
  scaler.scaleLoss(loss().mul(Infinity)).backward();
  assert.equal(scaler.unscale([w]), false);
  scaler.step(opt, false);
  assert.deepEqual([...w.toTypedArray<'float32'>()], afterGood, 'the step was skipped');
  assert.equal(scaler.skipped, 1);
  assert.equal(scaler.scale, 512, 'backed off by 0.5');

  for (let i = 0; i < 2; i++) {
    opt.zeroGrad();
    scaler.scaleLoss(loss()).backward();
    scaler.step(opt, scaler.unscale([w]));
  }
  assert.equal(scaler.scale, 1024, 'two good steps in a row: doubled');
  assert.equal(scaler.skipped, 1);
  scaler.dispose();
  opt.dispose();
}));

test('GradScaler state: a scaler loaded with another\'s state goes on as it would have (scale, growth count, skipped steps)', () => tidy(() => {
  const w = tensor(new Float32Array([1, -2, 3]), [3]).requiresGrad_().keep();
  const opt = new SGD([['w', w]], { lr: 0.1 });
  const goodStep = (s: GradScaler) => {
    opt.zeroGrad();
    s.scaleLoss(w.mul(w).sum()).backward();
    s.step(opt, s.unscale([w]));
  };
  const a = new GradScaler('cpu', { initScale: 256, growthInterval: 3 });
  opt.zeroGrad();
  a.scaleLoss(w.sum().mul(Infinity)).backward();
  a.step(opt, a.unscale([w])); // skipped: 128
  goodStep(a); goodStep(a); // two of three good steps towards growth
  assert.deepEqual(a.state(), { scale: 128, growthTracker: 2, skipped: 1 });
  const b = new GradScaler('cpu', { initScale: 256, growthInterval: 3 });
  b.loadState(JSON.parse(JSON.stringify(a.state())) as ReturnType<GradScaler['state']>);
  goodStep(a); goodStep(b);
  assert.deepEqual(b.state(), a.state());
  assert.deepEqual(b.state(), { scale: 256, growthTracker: 0, skipped: 1 }, 'the third good step doubled the scale');
  a.dispose(); b.dispose(); opt.dispose();
}));
