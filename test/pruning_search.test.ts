/** Block search on stand-in PRMs whose answer is known, checked against a keep-everything reference. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tensor, liveTensorCount, noGrad, tidy } from '../src/tensor/index.js';
import { combinations, estimateCalibrationMemory, prmShapes, searchBlocks } from '../src/pruning/index.js';
import { StandInNet, type StandInPRM, seededBatches } from './pruning_standin.js';
import { assertClose } from './helpers.js';

const SHAPE = [2, 1, 4, 5, 6];

/** Block 2's weight 0 (masking it changes nothing), block 3's tiny: the known answers. */
function knownNet(): StandInNet {
  const net = new StandInNet(4, 7);
  for (const prm of net.prunableModules()) { prm.block(2).setScale(0); prm.block(3).setScale(1e-3); }
  return net;
}

/**
 * Reference: keep every PRM's input and output for all batches (docs/method.md, "Block search"), then score
 * each combination on the kept inputs.
 */
async function keepAllScores(net: StandInNet, prm: StandInPRM, step: number, batches: number, seed: number): Promise<number[]> {
  const kept: [Tensor, Tensor][] = [];
  prm.forwardHook = (x, y) => { kept.push([x.clone().keep(), y.clone().keep()]); };
  const { draw } = seededBatches(seed, SHAPE);
  net.eval();
  for (let i = 0; i < batches; i++) {
    const b = await draw();
    noGrad(() => tidy(() => { net.forward(b.image); }));
    b.dispose();
  }
  prm.forwardHook = null;
  const active = prm.blocks().filter((b) => b.state === 'active').map((b) => b.index);
  const scores = combinations(active, step).map((combo) => {
    combo.forEach((j) => prm.mask(j));
    const s = kept.reduce((sum, [x, y]) => sum + noGrad(() => tidy(() => y.sub(prm.forward(x)).norm().item())), 0);
    combo.forEach((j) => prm.unmask(j));
    return s;
  });
  kept.flat().forEach((t) => t.dispose());
  net.train();
  return scores;
}

test('combinations are lexicographic, like itertools.combinations', () => {
  assert.deepEqual(combinations([0, 1, 2, 3], 2), [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
  assert.deepEqual(combinations([1, 3, 5], 1), [[1], [3], [5]]);
  assert.deepEqual(combinations([1, 3], 3), []);
  assert.equal(combinations([0, 1, 2, 3, 4, 5, 6], 2).length, 21);
});

for (const step of [1, 2]) test(`block search picks the known combination (s = ${step}) and matches the keep-all reference`, async () => {
  const before = liveTensorCount();
  const net = knownNet();
  const batches = seededBatches(11, SHAPE);
  const result = await searchBlocks({ network: net, drawBatch: batches.draw, batches: 5 }, net.prunableModules(), step);
  const want = step === 1 ? [2] : [2, 3];
  assert.deepEqual(result.choices.map((c) => [c.module, c.blocks]), [['enc1', want], ['dec1', want]]);
  if (step === 1) for (const c of result.choices) assert.equal(c.score, 0, 'masking a block of weight 0 changes nothing');
  for (const c of result.choices) {
    const others = c.scores.filter((s) => s.blocks.join() !== want.join()).map((s) => s.score);
    assert.ok(others.every((s) => s > c.score), `${c.module}: the chosen score is the smallest`);
  }
  // Same sums as keeping every input and output and scoring afterwards.
  for (const prm of net.prunableModules()) {
    const ref = await keepAllScores(net, prm, step, 5, 11);
    const got = result.choices.find((c) => c.module === prm.name)!.scores.map((s) => s.score);
    assertClose(got, ref, { rtol: 1e-6, atol: 1e-9 }, `${prm.name} scores`);
  }
  // Calibration: N batches drawn and freed, eval mode without changing anything, hooks removed.
  assert.deepEqual(batches.counts(), { drawn: 5, disposed: 5 });
  assert.deepEqual(net.forwardModes.slice(0, 5), [false, false, false, false, false]);
  assert.equal(net.training, true);
  for (const prm of net.prunableModules()) {
    assert.equal(prm.forwardHook, null);
    assert.ok(prm.blocks().every((b) => b.state === 'active'), 'the search itself masks nothing');
  }
  // Memory accounting: one PRM's input, output and masked output ([2, 4, 4, 5, 6] float32 each).
  const featureBytes = 2 * 4 * 4 * 5 * 6 * 4;
  assert.equal(result.report.peakHeldBytes, 3 * featureBytes);
  assert.equal(result.report.keepAllBytes, 5 * 2 * 2 * featureBytes);
  assert.equal(result.report.combinations, 2 * combinations([0, 1, 2, 3], step).length);
  net.dispose();
  assert.equal(liveTensorCount(), before, 'no tensor leaked');
});

test('block search scores only the active blocks of a partly pruned PRM', async () => {
  const net = knownNet();
  net.enc1.mask(2); // weight 0: the block the search would otherwise pick
  net.dec1.deleteBlock(2);
  const { draw } = seededBatches(3, SHAPE);
  const r = await searchBlocks({ network: net, drawBatch: draw, batches: 2 }, net.prunableModules(), 1);
  assert.deepEqual(r.choices.map((c) => c.scores.map((s) => s.blocks[0])), [[0, 1, 3], [0, 1, 3]]);
  assert.deepEqual(r.choices.map((c) => c.blocks), [[3], [3]], 'the tiny block next');
  assert.equal(net.enc1.blocks()[2]!.state, 'masked', 'masks set before the search stay');
  net.dispose();
});

test('a PRM whose forward does not call its hook is a clear error', async () => {
  const net = knownNet();
  const orphan = net.enc1;
  const fakeNet = { ...net, prunableModules: () => [orphan], forward: (x: Tensor) => x.mul(2), training: true, train: () => undefined, numParameters: () => 0 };
  const { draw } = seededBatches(1, SHAPE);
  await assert.rejects(searchBlocks({ network: fakeNet, drawBatch: draw, batches: 1 }, [orphan], 1), /enc1's forward hook ran 0 times/);
  assert.equal(orphan.forwardHook, null, 'hooks are removed after a failure');
  net.dispose();
});

test('calibration memory estimate for PSP-Seg S, batch 2, patch 48x64x48, N = 100', () => {
  const shapes = prmShapes([16, 32, 64, 128, 256], [48, 64, 48], 2);
  assert.deepEqual(shapes.map((s) => s.name), ['enc1', 'enc2', 'enc3', 'enc4', 'dec3', 'dec2', 'dec1']);
  assert.deepEqual(shapes[0]!.spatial, [24, 32, 24]);
  assert.deepEqual(shapes[3]!.spatial, [3, 4, 3]);
  const e = estimateCalibrationMemory({ channels: [16, 32, 64, 128, 256], patch: [48, 64, 48], batch: 2, batches: 100, blocks: 4, ratio: 0.5, step: 1 });
  // enc1/dec1: 2 x 32 x 24x32x24 floats = 4,718,592 bytes; enc2/dec2 1/8 of that, enc3/dec3 1/64, enc4 1/256 (x2 channels / 8 voxels each level).
  const f1 = 2 * 32 * 24 * 32 * 24 * 4;
  assert.equal(e.keepAllBytes, 100 * 2 * (2 * f1 + 2 * f1 / 4 + 2 * f1 / 16 + f1 / 64));
  assert.equal(e.streamingHeldBytes, 3 * f1);
  // One masked forward of enc1 with 3 active blocks: 3 x (3 x h + 3 x C) + 4 x C channels, h = C / 2.
  assert.equal(e.streamingPeakBytes, 3 * f1 + 3 * (1.5 * f1 + 3 * f1) + 4 * f1);
});
