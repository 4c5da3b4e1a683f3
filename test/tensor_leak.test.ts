/** 500 training steps of a small 3D conv net: live tensors and resident memory stay flat. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Generator, liveTensorCount, randn, tidy } from '../src/tensor/index.js';
import { Conv3d, InstanceNorm3d, LeakyReLU, Sequential } from '../src/nn/index.js';
import { SGD, clipGradNorm } from '../src/optim/index.js';

test('500 training steps inside tidy leak neither tensors nor memory', () => {
  const g = new Generator(0);
  const model = new Sequential(new Conv3d(1, 8, 3, { generator: g }), new InstanceNorm3d(8), new LeakyReLU(),
    new Conv3d(8, 8, 3, { stride: 2, generator: g }), new InstanceNorm3d(8), new LeakyReLU(), new Conv3d(8, 2, 1, { generator: g }));
  const opt = new SGD(model.namedParameters(), { lr: 0.01, momentum: 0.99, nesterov: true, weightDecay: 3e-5 });
  const x = randn([2, 1, 16, 16, 16], { generator: g }).keep();
  const target = F.interpolate(x.gt(0).to('float32'), { size: [8, 8, 8], mode: 'nearest' }).squeeze(1).long().keep();
  const step = () => tidy(() => {
    opt.zeroGrad();
    const loss = F.crossEntropy(model.forward(x), target);
    loss.backward();
    clipGradNorm(model.parameters(), 12);
    opt.step();
    return loss.item();
  });
  for (let i = 0; i < 50; i++) step(); // warm-up: optimiser state and allocator pools fill
  const tensors = liveTensorCount();
  const rss = process.memoryUsage().rss;
  let first = 0, last = 0;
  for (let i = 0; i < 450; i++) {
    const l = step();
    if (i === 0) first = l;
    last = l;
    assert.equal(liveTensorCount(), tensors, `live tensors changed at step ${i}`);
  }
  const growthMb = (process.memoryUsage().rss - rss) / 2 ** 20;
  assert.ok(growthMb < 25, `resident memory grew by ${growthMb.toFixed(1)} MiB over 450 steps`);
  assert.ok(last < first, `loss went down (${first} -> ${last})`);
  opt.zeroGrad();
  opt.dispose();
  model.dispose();
  x.dispose();
  target.dispose();
});
