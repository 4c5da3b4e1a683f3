/** The controller's state survives a checkpoint: a resumed run makes exactly the same decisions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Generator, type Tensor, noGrad, randn, tidy } from '../src/tensor/index.js';
import { SGD } from '../src/optim/index.js';
import {
  PruningController, type PruningEvent, type PruningState, networkBlockSearch, parsePruningState,
  resolvePruningSettings, restorePrunedArchitecture,
} from '../src/pruning/index.js';
import { StandInNet, seededBatches } from './pruning_standin.js';
import { logs } from './pruning_fakes.js';

const settings = resolvePruningSettings({ window: 3, calibrationBatches: 3 }, 'S');
// Events at 8 (mask), 13 (delete, mask), 18 (delete, mask), 22 (over-pruned: restore, stop at s = 0).
const LOGS = logs([10, 9, 8, 7, 6, 6.5, 6.5, 6.5, 5.9, 5.8, 5.85, 5.85, 5.85, 5.7, 5.6, 5.65, 5.65, 5.65,
  6.5, 6.6, 6.7, 6.8, 5.5, 5.4, 5.45, 5.45, 5.45, 5.45, 5.45, 5.45]);

class Run {
  readonly opt: SGD;
  readonly events: PruningEvent[] = [];
  constructor(readonly net: StandInNet, readonly controller: PruningController) {
    this.opt = new SGD(net.namedParameters(), { lr: 0.01, momentum: 0.99, nesterov: true });
  }
  async epoch(e: number): Promise<void> {
    const search = networkBlockSearch({ network: this.net, drawBatch: seededBatches(1000 + e).draw, batches: settings.calibrationBatches });
    this.events.push(...await this.controller.onEpochStart(e, LOGS, { network: this.net, optimizer: this.opt, search }));
    // One training step per epoch, on data fixed by the epoch.
    const g = new Generator(e);
    const x = randn([2, 1, 4, 5, 6], { generator: g }).keep(), y = randn([2, 2, 4, 5, 6], { generator: g }).keep();
    this.opt.zeroGrad();
    tidy(() => { this.net.forward(x).sub(y).square().mean().backward(); });
    this.opt.step();
    x.dispose(); y.dispose();
  }
}

/** Timing is the only thing allowed to differ. */
const untimed = <T>(v: T): T => JSON.parse(JSON.stringify(v, (k, val) => (k === 'seconds' ? 0 : val)));

test('state round trip mid-pruning: a fresh network and controller resume with identical decisions', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pspseg-prune-state-'));
  const netA = new StandInNet(4, 5);
  const a = new Run(netA, PruningController.start(settings, netA, 100));
  for (let e = 0; e <= 14; e++) await a.epoch(e);
  assert.deepEqual(a.events.map((e) => `${e.epoch} ${e.kind}`), ['8 masked', '13 deleted', '13 masked'], 'saved mid-pruning, with blocks masked');

  // The checkpoint: pruning state as JSON, weights, optimiser state.
  const saved = JSON.stringify(a.controller.state());
  const weights = new Map([...a.net.stateDict()].map(([k, t]) => [k, t.clone().keep()]));
  a.opt.saveState(join(dir, 'opt.safetensors'));

  // Resume into a network built with other random weights.
  const netB = new StandInNet(4, 99);
  restorePrunedArchitecture(netB, JSON.parse(saved));
  netB.loadStateDict(weights);
  weights.forEach((t) => t.dispose());
  const b = new Run(netB, PruningController.resume(settings, JSON.parse(saved)));
  b.opt.loadState(join(dir, 'opt.safetensors'));
  assert.deepEqual(untimed(b.controller.state()), untimed(a.controller.state()));

  for (let e = 15; e < 30; e++) { await a.epoch(e); await b.epoch(e); }
  assert.deepEqual(a.events.slice(3).map((e) => `${e.epoch} ${e.kind} ${e.reason}`), [
    '18 deleted converged', '18 masked converged', '22 restored over-pruned', '22 stopped step-zero',
  ]);
  assert.deepEqual(untimed(b.events), untimed(a.events.slice(3)), 'identical subsequent decisions (blocks, scores, parameters)');
  assert.deepEqual(untimed(b.controller.state()), untimed(a.controller.state()));
  const x = randn([1, 1, 4, 5, 6], { generator: new Generator(3) }).keep();
  const out = (n: StandInNet) => noGrad(() => tidy(() => n.forward(x).toArray()));
  assert.deepEqual(out(b.net), out(a.net), 'same network after resuming');
  x.dispose();
  for (const r of [a, b]) { r.opt.zeroGrad(); r.opt.dispose(); r.net.dispose(); }
});

test('a damaged state is a clear error naming the field', () => {
  const net = new StandInNet(4, 5);
  const st: PruningState = PruningController.start(settings, net, 30).state();
  assert.throws(() => parsePruningState({ ...st, step: -1 }, 'run/checkpoint.json'), /run\/checkpoint\.json: invalid pruning state: step/);
  assert.throws(() => parsePruningState({ ...st, architecture: { enc1: 'AAXA' } }, 'ckpt'), /architecture\.enc1/);
  assert.throws(() => restorePrunedArchitecture(net, { ...st, architecture: { enc1: 'AAAA' } }), /saved architecture has PRMs enc1 but the network has enc1, dec1/);
  assert.throws(() => parsePruningState({ ...st, phase: 'trial' }, 'ckpt'), /ckpt: invalid pruning state: masked: blocks are masked in the trial phase, and only then/);
  net.dispose();
});

test('a version-1 state (a pruning flag, no phase) reads as today\'s', () => {
  const net = new StandInNet(4, 5);
  const { phase: _phase, ...st } = PruningController.start(settings, net, 30).state();
  const v1 = (pruning: boolean, masked: { module: string; block: number }[]) => ({ ...st, version: 1, pruning, masked });
  assert.equal(parsePruningState(v1(true, [])).phase, 'watching');
  assert.equal(parsePruningState(v1(true, [{ module: 'enc1', block: 3 }])).phase, 'trial');
  assert.equal(parsePruningState(v1(false, [])).phase, 'stopped');
  assert.equal(parsePruningState(v1(false, [])).version, 2);
  net.dispose();
});
