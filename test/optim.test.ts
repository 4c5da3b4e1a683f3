/** SGD / AdamW trajectories, gradient clipping and the poly schedule against PyTorch. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type Tensor, liveTensorCount, tensor, tidy } from '../src/tensor/index.js';
import { AdamW, type Optimizer, SGD, clipGradNorm, polyLR } from '../src/optim/index.js';
import { assertClose, readFixture, tempDir } from './helpers.js';

interface Step { loss: number; w: number[]; b: number[] }
const fx = readFixture<{
  problem: { w: number[]; b: number[]; x: number[]; y: number[] };
  trajectories: Record<string, Step[]>;
  clip: { total_norm: number; w_grad: number[]; b_grad: number[] };
}>('optim.json');

function problem() {
  const w = tensor(fx.problem.w, [3, 4]).keep().requiresGrad_();
  const b = tensor(fx.problem.b, [3]).keep().requiresGrad_();
  const x = tensor(fx.problem.x, [5, 4]).keep();
  const y = tensor(fx.problem.y, [5, 3]).keep();
  const loss = () => x.matmul(w.transpose(0, 1)).add(b).tanh().sub(y).pow(2).mean();
  return { w, b, x, y, loss, dispose: () => [w, b, x, y].forEach((t) => t.dispose()) };
}

const makers: Record<string, (p: [string, Tensor][]) => Optimizer> = {
  sgd_nesterov: (p) => new SGD(p, { lr: 0.1, momentum: 0.99, nesterov: true, weightDecay: 3e-5 }),
  sgd_plain: (p) => new SGD(p, { lr: 0.2 }),
  sgd_momentum_dampening: (p) => new SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3 }),
  adamw: (p) => new AdamW(p, { lr: 1e-2, weightDecay: 1e-2 }),
  adamw_betas: (p) => new AdamW(p, { lr: 3e-3, betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0.1 }),
};

for (const [name, steps] of Object.entries(fx.trajectories)) {
  test(`${name} follows PyTorch's trajectory`, () => {
    const before = liveTensorCount();
    const p = problem();
    const opt = makers[name]([['w', p.w], ['b', p.b]]);
    for (const [i, expected] of steps.entries()) {
      opt.zeroGrad();
      const loss = tidy(() => { const l = p.loss(); l.backward(); return l.item(); });
      opt.step();
      assertClose([loss], [expected.loss], { rtol: 1e-5, atol: 1e-7 }, `${name} loss at step ${i}`);
      assertClose(p.w.toArray(), expected.w, { rtol: 1e-5, atol: 1e-6 }, `${name} w after step ${i}`);
      assertClose(p.b.toArray(), expected.b, { rtol: 1e-5, atol: 1e-6 }, `${name} b after step ${i}`);
    }
    opt.zeroGrad();
    opt.dispose();
    p.dispose();
    assert.equal(liveTensorCount(), before);
  });
}

for (const [name, make] of [
  ['SGD', (ps: [string, Tensor][], lr: number) => new SGD(ps, { lr, momentum: 0.99, nesterov: true })],
  ['AdamW', (ps: [string, Tensor][], lr: number) => new AdamW(ps, { lr })],
] as const) test(`${name} state save/load resumes the same trajectory`, (t) => {
  const dir = tempDir(t, 'pspseg-optim-');
  const run = (resumeAt: number | null) => {
    const p = problem();
    let opt: Optimizer = make([['w', p.w], ['b', p.b]], 0.1);
    for (let i = 0; i < 6; i++) {
      if (i === resumeAt) {
        opt.saveState(join(dir, 'opt.safetensors'));
        opt.dispose();
        opt = make([['w', p.w], ['b', p.b]], 0.5);
        opt.loadState(join(dir, 'opt.safetensors'));
        assert.equal(opt.lr, 0.1);
        assert.equal(opt.stepCount, resumeAt);
      }
      opt.zeroGrad();
      tidy(() => p.loss().backward());
      opt.step();
    }
    const out = p.w.toArray();
    opt.zeroGrad(); opt.dispose(); p.dispose();
    return out;
  };
  assert.deepEqual(run(3), run(null));
});

test('removing parameters drops them and their state; unknown names are errors', () => {
  const p = problem();
  const opt = new AdamW([['w', p.w], ['b', p.b]], { lr: 1e-2 });
  tidy(() => p.loss().backward());
  opt.step();
  const before = liveTensorCount();
  opt.removeParameters(['b']);
  assert.equal(liveTensorCount(), before - 2, 'exp_avg and exp_avg_sq of b freed');
  assert.deepEqual(opt.parameterNames(), ['w']);
  const bBefore = p.b.toArray();
  opt.step();
  assert.deepEqual(p.b.toArray(), bBefore, 'b is no longer updated');
  assert.throws(() => opt.removeParameters(['b']), /no parameter 'b'/);
  opt.zeroGrad(); p.b.grad = null; opt.dispose(); p.dispose();
});

test('gradient-norm clipping matches torch.nn.utils.clip_grad_norm_', () => {
  const p = problem();
  tidy(() => p.loss().mul(50).backward());
  const total = clipGradNorm([p.w, p.b], 0.5);
  assertClose([total], [fx.clip.total_norm], { rtol: 1e-5 }, 'total norm');
  assertClose(p.w.grad!.toArray(), fx.clip.w_grad, { rtol: 1e-5, atol: 1e-7 }, 'clipped w grad');
  assertClose(p.b.grad!.toArray(), fx.clip.b_grad, { rtol: 1e-5, atol: 1e-7 }, 'clipped b grad');
  p.w.grad = null; p.b.grad = null; p.dispose();
});

test('poly learning rate schedule', () => {
  assert.equal(polyLR(0.01, 0, 1000), 0.01);
  assertClose([polyLR(0.01, 500, 1000)], [0.01 * 0.5 ** 0.9], {}, 'half way');
  assert.equal(polyLR(0.01, 1000, 1000), 0);
});

test('a state file with a wrong shape is refused and leaves the state as it was', (t) => {
  const dir = tempDir(t, 'pspseg-optim-');
  const p = problem();
  const opt = new SGD([['w', p.w], ['b', p.b]], { lr: 0.1, momentum: 0.9 });
  tidy(() => p.loss().backward());
  opt.step();
  opt.saveState(join(dir, 'good.safetensors'));
  const other = tensor([1, 2, 3, 4], [2, 2]).keep().requiresGrad_();
  const wrong = new SGD([['w', other], ['b', p.b]], { lr: 0.1, momentum: 0.9 });
  tidy(() => other.sum().mul(p.b.sum()).backward());
  wrong.step();
  const before = liveTensorCount();
  assert.throws(() => wrong.loadState(join(dir, 'good.safetensors')), /state 'w::momentum_buffer' has shape \[3,4\] but the parameter has \[2,2\]/);
  assert.equal(liveTensorCount(), before, 'nothing leaked, nothing lost');
  for (const o of [opt, wrong]) { o.zeroGrad(); o.dispose(); }
  other.dispose(); p.dispose();
});
