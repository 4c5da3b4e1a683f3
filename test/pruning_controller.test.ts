/** The pruning controller alone, driven by synthetic logs: each test asserts the exact event sequence. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PruningController, hasConverged, isOverPruned, resolvePruningSettings, type PruningSettingsInput,
} from '../src/pruning/index.js';
import { FakeNetwork, FakeOptimizer, FakePRM, KERNELS4, fakeNetwork, logs, runEpochs, scriptedSearch } from './pruning_fakes.js';

const settings = (o: PruningSettingsInput = {}) => resolvePruningSettings({ window: 3, ...o }, 'S');

function setup(o: PruningSettingsInput = {}, totalEpochs = 1000, blocks = 4) {
  const network = fakeNetwork(blocks);
  const optimizer = new FakeOptimizer(network);
  const { search, calls } = scriptedSearch();
  const controller = PruningController.start(settings(o), network, totalEpochs);
  return { network, optimizer, calls, controller, env: { network, optimizer, search } };
}

const states = (n: FakeNetwork) => Object.fromEntries(n.modules.map((m) => [m.name, m.states.join(',')]));
// Falls to 6 at epoch 4, then stays above it: converged at the start of epoch 8 (W = 3).
const FIRST = [10, 9, 8, 7, 6, 6.5, 6.5, 6.5];

test('convergence: the minimum since the last event must lie before the last W epochs, for every log', () => {
  const l = logs([5, 1, 2, 3, 4, 4]);
  assert.equal(hasConverged(l, 4, 0, 3, ['loss']), false, 'minimum (epoch 1) inside epochs 1..3');
  assert.equal(hasConverged(l, 5, 0, 3, ['loss']), true, 'minimum (epoch 1) before epochs 2..4');
  assert.equal(hasConverged(logs([5, 1, 2, 1, 4]), 5, 0, 3, ['loss']), false, 'a tie inside the window counts as reached');
  assert.equal(hasConverged(l, 5, 2, 3, ['loss']), false, 'since epoch 2 the minimum (epoch 2) is inside the window');
  const trStillFalling = logs([5, 1, 2, 3, 4], [5, 4, 3, 2, 1]);
  assert.equal(hasConverged(trStillFalling, 5, 0, 3, ['loss', 'tr']), false);
  assert.equal(hasConverged(trStillFalling, 5, 0, 3, ['loss']), true);
  assert.equal(hasConverged(logs([1, 5, 5]), 3, 0, 3, ['loss']), false, 'no check up to epoch W');
});

test('over-pruning: all-time minimum + delta <= minimum since the last event, for any log', () => {
  assert.equal(isOverPruned(logs([1, 2, 1.002]), 1, 0.001, 3, ['loss']), true);
  assert.equal(isOverPruned(logs([1, 2, 1.0005]), 1, 0.001, 3, ['loss']), false);
  assert.equal(isOverPruned(logs([1, 2, 1.0005]), 1, 0.0005, 3, ['loss']), true, 'equality counts');
  assert.equal(isOverPruned(logs([1, 2, 1.0005], [1, 0.5, 0.6]), 1, 0.001, 3, ['loss', 'tr']), false);
  assert.equal(isOverPruned(logs([1, 2, 1.0005], [1, 2, 3]), 1, 0.001, 3, ['loss', 'tr']), true, 'TR alone is enough');
});

test('not converged: logs still falling give no event in 40 epochs', async () => {
  const { controller, env, calls } = setup();
  const falling = logs(Array.from({ length: 41 }, (_, i) => 10 - i * 0.1));
  assert.deepEqual(await runEpochs(controller, env, falling, 0, 40), []);
  assert.equal(calls.length, 0);
  assert.equal(controller.state().timeline.length, 41);
});

test('converged then pruned: mask at the first convergence; delete and mask again at the next', async () => {
  const { controller, env, network, optimizer, calls } = setup();
  const before = network.numParameters();
  const l = logs([...FIRST, 5.9, 5.8, 5.85, 5.85, 5.85, 5.85]);
  assert.deepEqual(await runEpochs(controller, env, l, 0, 13), [
    '8 masked converged [enc1.b3,dec1.b3] s=1',
    '13 deleted converged [enc1.b3,dec1.b3] s=1',
    '13 masked converged [enc1.b2,dec1.b2] s=1',
  ]);
  assert.deepEqual(calls, [{ modules: ['enc1', 'dec1'], step: 1 }, { modules: ['enc1', 'dec1'], step: 1 }]);
  assert.deepEqual(states(network), { enc1: 'active,active,masked,deleted', dec1: 'active,active,masked,deleted' });
  assert.equal(network.numParameters(), before - 103 - 203);
  assert.ok(!optimizer.names.has('enc1.b3.scale') && !optimizer.names.has('dec1.b3.conv.weight') && optimizer.names.has('enc1.b2.scale'));
  const ev = controller.events;
  assert.deepEqual(ev[1]!.minima!.loss, { sinceEvent: 5.8, lastWindow: 5.85, allTime: 5.8 });
  assert.equal(ev[1]!.parametersBefore - ev[1]!.parametersAfter, 306);
  assert.equal(ev[2]!.activeParametersAfter, network.numParameters() - 102 - 202);
  const st = controller.state();
  assert.equal(st.lastEventEpoch, 13);
  assert.deepEqual(st.timeline[12]!.blocks, { enc1: 'AAAM', dec1: 'AAAM' });
  assert.deepEqual(st.timeline[13]!.blocks, { enc1: 'AAMD', dec1: 'AAMD' });
});

test('over-pruned: restore the masked blocks, s - 1, and prune on with the smaller step', async () => {
  const { controller, env, network, calls } = setup({ initialStep: 2 });
  const l = logs([...FIRST, 6.5, 6.6, 6.7, 6.8, 5.5, 5.4, 5.45, 5.45, 5.45]);
  assert.deepEqual(await runEpochs(controller, env, l, 0, 17), [
    '8 masked converged [enc1.b2,enc1.b3,dec1.b2,dec1.b3] s=2',
    '12 restored over-pruned [enc1.b2,enc1.b3,dec1.b2,dec1.b3] s=1',
    '17 masked converged [enc1.b3,dec1.b3] s=1',
  ]);
  assert.deepEqual(calls.map((c) => c.step), [2, 1]);
  assert.deepEqual(states(network), { enc1: 'active,active,active,masked', dec1: 'active,active,active,masked' });
  const tl = controller.state().timeline;
  assert.deepEqual(tl[12]!.blocks, { enc1: 'AARR', dec1: 'AARR' }, 'restored blocks are marked');
  assert.deepEqual(tl[17]!.blocks, { enc1: 'AARM', dec1: 'AARM' }, 'masked again: no longer "restored"');
  assert.equal(controller.step, 1);
  assert.equal(controller.phase, 'trial', 'masked again: a new trial');
});

test('s reaching 0 stops pruning for good', async () => {
  const { controller, env, network } = setup();
  const l = logs([...FIRST, 6.5, 6.6, 6.7, 6.8, 5.5, 5.4, 5.45, 5.45, 5.45, 5.45, 5.45]);
  assert.deepEqual(await runEpochs(controller, env, l, 0, 19), [
    '8 masked converged [enc1.b3,dec1.b3] s=1',
    '12 restored over-pruned [enc1.b3,dec1.b3] s=0',
    '12 stopped step-zero [] s=0',
  ]);
  assert.deepEqual(states(network), { enc1: 'active,active,active,active', dec1: 'active,active,active,active' });
  assert.equal(controller.state().stopReason, 'step-zero');
  assert.equal(controller.phase, 'stopped');
});

test('phases: watching until the first convergence, trial while blocks are masked, watching after a restore', async () => {
  const { controller, env } = setup({ initialStep: 2 });
  const l = logs([...FIRST, 6.5, 6.6, 6.7, 6.8, 6.5, 6.6, 6.7, 6.8]);
  const phases: string[] = [];
  for (let e = 0; e <= 16; e++) {
    await controller.onEpochStart(e, l, env);
    phases.push(controller.phase);
    assert.equal(controller.state().masked.length > 0, controller.phase === 'trial', `epoch ${e}: masked blocks exactly in the trial phase`);
  }
  assert.deepEqual(phases.map((p, e) => `${e}:${p}`).filter((_, e) => [0, 7, 8, 11, 12, 15, 16].includes(e)),
    ['0:watching', '7:watching', '8:trial', '11:trial', '12:watching', '15:watching', '16:stopped']);
});

test('over-pruned again right after a restore: nothing to restore, s - 1 (as the authors\' code)', async () => {
  const { controller, env } = setup({ initialStep: 2 });
  const l = logs([...FIRST, 6.5, 6.6, 6.7, 6.8, 6.5, 6.6, 6.7, 6.8]);
  assert.deepEqual(await runEpochs(controller, env, l, 0, 16), [
    '8 masked converged [enc1.b2,enc1.b3,dec1.b2,dec1.b3] s=2',
    '12 restored over-pruned [enc1.b2,enc1.b3,dec1.b2,dec1.b3] s=1',
    '16 restored over-pruned [] s=0',
    '16 stopped step-zero [] s=0',
  ]);
});

test('stop at 40% of the epochs (stopAt epoch): masked blocks are restored at the stop epoch', async () => {
  const { controller, env, network, calls } = setup({ stopAt: 'epoch' }, 30);
  const l = logs([...FIRST, 6.5, 6.5, 6.5, 6.5, 6.5, 6.5]);
  assert.deepEqual(await runEpochs(controller, env, l, 0, 13), [
    '8 masked converged [enc1.b3,dec1.b3] s=1',
    '12 restored stop-fraction [enc1.b3,dec1.b3] s=1',
    '12 stopped stop-fraction [] s=1',
  ]);
  assert.equal(calls.length, 1);
  assert.deepEqual(states(network), { enc1: 'active,active,active,active', dec1: 'active,active,active,active' });
  assert.deepEqual(controller.state().timeline[13]!.blocks, { enc1: 'AAAR', dec1: 'AAAR' });
});

test('stop at 40% of the epochs (stopAt event, the default): decided at the next convergence, no new mask', async () => {
  const { controller, env, network, calls } = setup({}, 30);
  const l = logs([...FIRST, 5.9, 5.8, 5.7, 5.6, 5.5, 5.55, 5.55, 5.55, 5.55]);
  assert.deepEqual(await runEpochs(controller, env, l, 0, 17), [
    '8 masked converged [enc1.b3,dec1.b3] s=1',
    '16 deleted converged [enc1.b3,dec1.b3] s=1',
    '16 stopped stop-fraction [] s=1',
  ]);
  assert.equal(calls.length, 1, 'no block search at the stop');
  assert.deepEqual(states(network), { enc1: 'active,active,active,deleted', dec1: 'active,active,active,deleted' });
});

test('stop at 40% (stopAt event) after an over-pruning: restored, then stopped', async () => {
  const { controller, env, network } = setup({ initialStep: 2 }, 30);
  const l = logs([...FIRST, 6.5, 6.6, 6.7, 6.8, 6.9]);
  assert.deepEqual(await runEpochs(controller, env, l, 0, 12), [
    '8 masked converged [enc1.b2,enc1.b3,dec1.b2,dec1.b3] s=2',
    '12 restored over-pruned [enc1.b2,enc1.b3,dec1.b2,dec1.b3] s=1',
    '12 stopped stop-fraction [] s=1',
  ]);
  assert.equal(network.modules.every((m) => m.states.every((s) => s === 'active')), true);
});

test('nothing prunable: every PRM down to s blocks stops pruning', async () => {
  const { controller, env, network } = setup({}, 1000, 2);
  const l = logs([...FIRST, 5.9, 5.8, 5.85, 5.85, 5.85]);
  assert.deepEqual(await runEpochs(controller, env, l, 0, 13), [
    '8 masked converged [enc1.b1,dec1.b1] s=1',
    '13 deleted converged [enc1.b1,dec1.b1] s=1',
    '13 stopped nothing-prunable [] s=1',
  ]);
  assert.deepEqual(states(network), { enc1: 'active,deleted', dec1: 'active,deleted' });
  assert.equal(controller.state().stopReason, 'nothing-prunable');
});

test('minRemainingBlocks 0 (the authors\' code) lets a PRM lose its last block', async () => {
  const { controller, env } = setup({ minRemainingBlocks: 0 }, 1000, 2);
  const l = logs([...FIRST, 5.9, 5.8, 5.85, 5.85, 5.85]);
  assert.deepEqual(await runEpochs(controller, env, l, 0, 13), [
    '8 masked converged [enc1.b1,dec1.b1] s=1',
    '13 deleted converged [enc1.b1,dec1.b1] s=1',
    '13 masked converged [enc1.b0,dec1.b0] s=1',
  ]);
});

test('only PRMs with blocks to spare are searched', async () => {
  const network = new FakeNetwork([new FakePRM('enc1', KERNELS4, [1, 2, 3, 4]), new FakePRM('dec1', KERNELS4.slice(0, 2), [5, 6])]);
  const { search, calls } = scriptedSearch();
  const controller = PruningController.start(settings(), network, 1000);
  const l = logs([...FIRST, 5.9, 5.8, 5.85, 5.85, 5.85]);
  await runEpochs(controller, { network, optimizer: null, search }, l, 0, 13);
  assert.deepEqual(calls.map((c) => c.modules), [['enc1', 'dec1'], ['enc1']]);
});

test('bad calls are clear errors', async () => {
  const { controller, env } = setup();
  await controller.onEpochStart(0, [], env);
  await assert.rejects(controller.onEpochStart(2, logs([1, 1]), env), /called for epoch 2 after epoch 0/);
  await assert.rejects(controller.onEpochStart(1, [], env), /only 0 epoch logs were given \(need epochs 0..0\)/);
  const noTr = [{ epoch: 0, loss: 1 }];
  const c2 = setup();
  await c2.controller.onEpochStart(0, noTr, c2.env);
  await assert.rejects(c2.controller.onEpochStart(1, noTr, c2.env), /monitors 'tr'.*epoch 0/);
  const c3 = setup({ monitored: ['loss'] });
  for (let e = 0; e < 12; e++) await c3.controller.onEpochStart(e, FIRST.concat(6.5, 6.5, 6.5, 6.5).map((loss, epoch) => ({ epoch, loss })), c3.env);
  assert.equal(c3.controller.events[0]!.kind, 'masked', 'segmentation-only training prunes on the loss alone');
  const c4 = setup();
  c4.network.modules[0]!.mask(0);
  await assert.rejects(c4.controller.onEpochStart(0, [], c4.env), /do not match the pruning state/);
  assert.throws(() => resolvePruningSettings({ window: 0 }, 'S'), /pruning\.window/);
  assert.equal(resolvePruningSettings({}, 'L').initialStep, 2);
  assert.equal(resolvePruningSettings({}, 'B').initialStep, 1);
});
