/**
 * The pseudo Dice against a direct count over plain arrays (random logits and labels, ignored
 * voxels, a class that never occurs), summed over batches; nnU-Net's nanmean and EMA; the
 * deep-supervision weights of the stand-in Dice+CE.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, randint, randn, tidy } from '../src/tensor/index.js';
import { PseudoDice, nanMean, updateEma } from '../src/train/pseudo_dice.js';
import { deepSupervisionWeights } from '../src/losses/index.js';

test('pseudo Dice: tp/fp/fn summed over batches equal a direct count; absent class is NaN; -1 ignored', () => {
  const g = new Generator(5);
  const classes = [1, 2, 3]; // 3 never occurs in labels or predictions below
  const dice = new PseudoDice(classes);
  const tp = [0, 0, 0], fp = [0, 0, 0], fn = [0, 0, 0];
  for (let b = 0; b < 3; b++) {
    tidy(() => {
      // 3 output channels: predictions are 0..2 only, so class 3 is never predicted
      const logits = randn([2, 3, 4, 5, 6], { generator: g });
      const target = randint(-1, 3, [2, 1, 4, 5, 6], g); // -1 = ignored
      dice.add(logits, target);
      const l = logits.toTypedArray<'float32'>(), t = target.toTypedArray<'int64'>();
      const n = 4 * 5 * 6;
      for (let s = 0; s < 2; s++) for (let v = 0; v < n; v++) {
        const scores = [0, 1, 2].map((k) => l[(s * 3 + k) * n + v]!);
        const pred = scores.indexOf(Math.max(...scores));
        const ref = Number(t[s * n + v]);
        if (ref < 0) continue;
        classes.forEach((c, i) => {
          if (pred === c && ref === c) tp[i]!++;
          else if (pred === c) fp[i]!++;
          else if (ref === c) fn[i]!++;
        });
      }
    });
  }
  assert.deepEqual(dice.tp, tp);
  assert.deepEqual(dice.fp, fp);
  assert.deepEqual(dice.fn, fn);
  const per = dice.perClass();
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(per[i]! - (2 * tp[i]!) / (2 * tp[i]! + fp[i]! + fn[i]!)) < 1e-12);
  assert.ok(Number.isNaN(per[2]!), 'a class absent from prediction and reference is NaN');
  assert.ok(Math.abs(dice.mean() - (per[0]! + per[1]!) / 2) < 1e-12, 'mean ignores NaN');
});

test('nanmean and the EMA (0.9 old + 0.1 new; the first value as is; NaN keeps the old)', () => {
  assert.ok(Number.isNaN(nanMean([NaN, NaN])));
  assert.equal(nanMean([1, NaN, 0]), 0.5);
  let ema: number | null = null;
  ema = updateEma(ema, 0.5);
  assert.equal(ema, 0.5);
  ema = updateEma(ema, 1);
  assert.ok(Math.abs(ema - 0.55) < 1e-15);
  assert.equal(updateEma(ema, NaN), ema);
});

test('deep-supervision weights: 1/2^i, the lowest output 0, normalised', () => {
  assert.deepEqual(deepSupervisionWeights(1), [1]);
  const w = deepSupervisionWeights(4); // 1, 1/2, 1/4, 0 over 1.75
  [1 / 1.75, 0.5 / 1.75, 0.25 / 1.75, 0].forEach((x, i) => assert.ok(Math.abs(w[i]! - x) < 1e-15));
});
