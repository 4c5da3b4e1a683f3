/**
 * Losses against the PyTorch reference (scripts/torch_pspseg.py --loss-fixture, float64): each term and
 * the gradients with respect to logits, encoder features and decoder features agree to 1e-4 relative.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type Tensor, liveTensorCount, tidy, zeros } from '../src/tensor/index.js';
import { loadSafetensors } from '../src/tensor/index.js';
import {
  DEFAULT_LOSS_CONFIG, type LossTerms, deepSupervisionWeights, foregroundPercentile, maskInput, parseLossConfig,
  pspsegLoss, targetsForLogits,
} from '../src/losses/index.js';
import type { NetworkOutput } from '../src/nn/index.js';
import { DEFAULT_DS_SCALES, deepSupervisionTargets } from '../src/data/augment/deep_supervision.js';
import { fixturesDir, readFixture } from './helpers.js';

interface Case { config: Record<string, unknown>; terms: Record<keyof LossTerms, number | null> }
interface Fixture {
  classes: number; levels: number; dsWeights: number[]; cases: Record<string, Case>;
  maskFill: number[]; maskFillScalar: number;
  percentile: { cases: number[][]; channels: number; values: Record<string, number[]> };
}

const fx = readFixture<Fixture>('losses_reference.json');
const T = loadSafetensors(join(fixturesDir, 'losses_reference.safetensors')).tensors;
for (const t of T.values()) t.keep();
const get = (name: string): Tensor => {
  const t = T.get(name);
  if (!t) throw new Error(`losses_reference.safetensors has no tensor '${name}'`);
  return t;
};
const RTOL = 1e-4;

/** max |a - b| / max |b|: the error relative to the reference's scale. */
function relError(actual: Tensor, expected: Tensor): number {
  return tidy(() => {
    assert.deepEqual(actual.shape, expected.shape);
    const scale = Math.max(expected.abs().max().item(), 1e-30);
    return actual.sub(expected).abs().max().item() / scale;
  });
}
const worst: Record<string, number> = {};
function expectClose(actual: Tensor, expected: Tensor, what: string, group: string): void {
  const e = relError(actual, expected);
  worst[group] = Math.max(worst[group] ?? 0, e);
  assert.ok(e <= RTOL, `${what}: relative error ${e.toExponential(2)} > ${RTOL}`);
}
function expectTerm(actual: number | null, expected: number | null, what: string): void {
  if (expected === null) { assert.equal(actual, null, `${what}: expected no value`); return; }
  assert.ok(actual !== null, `${what}: expected ${expected}, got null`);
  const e = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-6);
  worst.terms = Math.max(worst.terms ?? 0, e);
  assert.ok(e <= RTOL, `${what}: ${actual} vs ${expected} (relative error ${e.toExponential(2)})`);
}

const targets = (n: number) => Array.from({ length: n }, (_, i) => get(`target${i}`).to('int64'));
const leaves = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => get(`${prefix}${i}`).clone().requiresGrad_(true));

function runCase(name: string): void {
  const c = fx.cases[name]!;
  tidy(() => {
    const logits = leaves('logits', fx.levels), enc = leaves('enc', 5), dec = leaves('dec', 4);
    const output: NetworkOutput = { logits, encoderFeatures: enc, regionFeatures: dec[1]!, decoderFeatures: dec };
    const masked = Array.from({ length: 5 }, (_, i) => get(`masked${i}`));
    const { total: loss, terms } = pspsegLoss(output, masked, targets(fx.levels), parseLossConfig(c.config));
    for (const k of Object.keys(c.terms) as (keyof LossTerms)[]) expectTerm(terms[k], c.terms[k], `${name}: ${k}`);
    assert.equal(loss.item(), terms.total);
    loss.backward();
    for (const [kind, xs] of [['logits', logits], ['enc', enc], ['dec', dec]] as const) {
      xs.forEach((x, i) => {
        const key = `${name}.grad.${kind}${i}`;
        const g = x.grad;
        if (T.has(key)) {
          assert.ok(g, `${key}: no gradient`);
          expectClose(g, get(key), key, `grad ${kind}`);
        } else {
          assert.ok(g === null || g.abs().max().item() === 0, `${key}: the reference has no gradient here, got one`);
        }
      });
    }
  });
}

for (const name of ['fd_code', 'fd_paper_batchdice', 'dcce', 'custom_weights']) {
  test(`loss terms and gradients agree with PyTorch: ${name} ${JSON.stringify(fx.cases[name]!.config)}`, () => runCase(name));
}

test('one output without deep supervision; a target whose voxels are all ignored (CE 0, Dice -1)', () => {
  tidy(() => {
    const logits = get('logits0').clone().requiresGrad_(true);
    const { total: loss, terms } = pspsegLoss({ logits: [logits], encoderFeatures: [], regionFeatures: null }, null, [get('target0').to('int64')],
      parseLossConfig({ name: 'dice_ce' }));
    for (const k of ['total', 'seg', 'dice', 'ce', 'tr', 'rl'] as const) expectTerm(terms[k], fx.cases.single!.terms[k], `single: ${k}`);
    loss.backward();
    expectClose(logits.grad!, get('single.grad.logits0'), 'single: grad', 'grad logits');

    const l2 = get('logits2').clone().requiresGrad_(true);
    const ignored = zeros(get('target2').shape, { dtype: 'int64' }).sub(1);
    const r = pspsegLoss({ logits: [l2], encoderFeatures: [], regionFeatures: null }, null, [ignored], parseLossConfig({ name: 'dice_ce' }));
    for (const k of ['total', 'dice', 'ce'] as const) expectTerm(r.terms[k], fx.cases.all_ignored!.terms[k], `all ignored: ${k}`);
    r.total.backward();
    assert.equal(l2.grad!.abs().max().item(), 0, 'all-ignored target: no gradient');
  });
});

test('deep-supervision weights: 1/2^i, lowest 0, normalised', () => {
  assert.deepEqual(deepSupervisionWeights(1), [1]);
  assert.deepEqual(deepSupervisionWeights(4), [1 / 1.75, 0.5 / 1.75, 0.25 / 1.75, 0]);
  assert.deepEqual(deepSupervisionWeights(5), [1, 0.5, 0.25, 0.125, 0].map((w) => w / 1.875));
  assert.deepEqual(deepSupervisionWeights(fx.levels), fx.dsWeights);
  assert.throws(() => deepSupervisionWeights(0), /at least one output/);
});

test('deep-supervision targets: the data layer and targetsForLogits give PyTorch nearest-exact targets', () => {
  tidy(() => {
    const label = get('label').to('int64');
    const fromData = deepSupervisionTargets(label, DEFAULT_DS_SCALES);
    const fromLogits = targetsForLogits(label, Array.from({ length: fx.levels }, (_, i) => get(`logits${i}`)));
    for (let i = 0; i < fx.levels; i++) {
      const expected = get(`target${i}`).to('int64');
      assert.ok(fromData[i]!.eq(expected).all().item(), `data layer target ${i}`);
      assert.ok(fromLogits[i]!.eq(expected).all().item(), `targetsForLogits ${i}`);
    }
  });
});

test('maskInput: background and ignored voxels take the fill value (one per channel, or one for all)', () => {
  tidy(() => {
    const image = get('image'), label = get('label');
    expectClose(maskInput(image, label.to('int64'), fx.maskFill), get('masked_image'), 'per channel', 'mask');
    expectClose(maskInput(image, label, fx.maskFillScalar), get('masked_image_scalar'), 'scalar', 'mask');
    assert.throws(() => maskInput(image, label, [1, 2, 3]), /3 fill values for 2 channels/);
    assert.throws(() => maskInput(image, label.narrow(2, 0, 4), 0), /does not fit image/);
  });
});

test('foregroundPercentile equals numpy.percentile over all foreground voxels, with and without histogram refinement', () => {
  const cases = fx.percentile.cases.map((shape, k) => {
    const image = get(`pct.image${k}`), label = get(`pct.label${k}`);
    return { image: image.toTypedArray<'float32'>(), label: label.toTypedArray<'int8'>(), shape: [fx.percentile.channels, ...shape] };
  });
  for (const [q, expected] of Object.entries(fx.percentile.values)) {
    for (const search of [{}, { bins: 3, collectLimit: 2 }]) {
      const got = foregroundPercentile(cases, Number(q), search);
      got.forEach((v, ch) => {
        const e = expected[ch]!;
        assert.ok(Math.abs(v - e) <= 1e-12 * Math.max(1, Math.abs(e)), `q ${q} channel ${ch} ${JSON.stringify(search)}: ${v} vs numpy ${e}`);
      });
    }
  }
  // ties and a constant foreground; no foreground at all gives NaN
  const flat = { image: new Float32Array([5, 2, 2, 2, 7, 9]), label: new Int8Array([0, 1, 2, 1, 1, -1]), shape: [1, 6] };
  assert.deepEqual(foregroundPercentile([flat], 0.5, { bins: 2, collectLimit: 1 }), [2]);
  assert.deepEqual(foregroundPercentile([flat], 100), [7]);
  assert.deepEqual(foregroundPercentile([{ ...flat, label: new Int8Array(6) }]), [NaN]);
  assert.throws(() => foregroundPercentile([{ ...flat, shape: [2, 6] }]), /image has 6 values/);
});

test('loss configuration: defaults, overrides, and errors that name the field', () => {
  assert.deepEqual(DEFAULT_LOSS_CONFIG, {
    name: 'psp', lambdaTR: 0.1, lambdaRL: 0.1, rlVariant: 'code', batchDice: false, smooth: 1e-5, deepSupervisionWeights: null,
  });
  assert.equal(parseLossConfig({ name: 'dice_ce', lambdaTR: 0.5 }).lambdaTR, 0.5);
  assert.throws(() => parseLossConfig({ name: 'dice' }, 'train.json'), /train\.json: name: /);
  assert.throws(() => parseLossConfig({ lambdaRL: -1 }), /lambdaRL/);
  assert.throws(() => parseLossConfig({ lambdaTr: 1 }), /Unrecognized key/);
  assert.throws(() => parseLossConfig({ deepSupervisionWeights: [0, 0] }), /at least one weight must be positive/);
});

test('clear errors for inputs that do not fit, and no leaked tensors', () => {
  tidy(() => {
    const logits = Array.from({ length: fx.levels }, (_, i) => get(`logits${i}`));
    const enc = Array.from({ length: 5 }, (_, i) => get(`enc${i}`));
    const out: NetworkOutput = { logits, encoderFeatures: enc, regionFeatures: get('dec1') };
    const masked = Array.from({ length: 5 }, (_, i) => get(`masked${i}`));
    const tg = targets(fx.levels);
    assert.throws(() => pspsegLoss(out, null, tg), /needs the encoder features of the masked input/);
    assert.throws(() => pspsegLoss(out, masked, tg, parseLossConfig({ rlVariant: 'paper' })), /needs decoderFeatures/);
    assert.throws(() => pspsegLoss(out, masked, [tg[1]!, tg[0]!, tg[2]!, tg[3]!]), /does not fit logits/);
    assert.throws(() => pspsegLoss(out, masked.slice(1), tg), /5 encoder features but 4/);
    assert.throws(() => pspsegLoss(out, masked, tg.slice(0, 2)), /4 outputs but 2 targets/);
    assert.throws(() => pspsegLoss({ ...out, regionFeatures: null }, masked, tg), /no regionFeatures/);
    assert.throws(() => pspsegLoss(out, masked, tg.map((t) => t.to('int32'))), /must be int64/);
    // 'dcce' logs TR and RL without gradients when it can, and leaves them null when it cannot
    const dcce = parseLossConfig({ name: 'dice_ce', rlVariant: 'paper' });
    assert.equal(pspsegLoss(out, null, tg, dcce).terms.rl, null);
    assert.equal(pspsegLoss(out, null, tg, dcce).terms.tr, null);

    const before = liveTensorCount();
    tidy(() => { pspsegLoss(out, masked, tg); });
    assert.equal(liveTensorCount(), before, 'pspsegLoss leaves no tensors behind');
    const r = pspsegLoss(out, masked, tg);
    assert.equal(liveTensorCount(), before + 1, 'only the loss tensor survives');
    r.total.dispose();
  });
});

test('report the largest relative errors', (t) => {
  t.diagnostic(`max relative errors vs PyTorch: ${Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`);
  assert.ok(Object.keys(worst).length >= 4);
});
