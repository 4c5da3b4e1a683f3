import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random, mixSeed } from '../src/util/random.js';

test('Random: same seed, same stream; different seeds differ', () => {
  const a = new Random(42), b = new Random(42), c = new Random(43);
  const xa = Array.from({ length: 50 }, () => a.uint32());
  assert.deepEqual(xa, Array.from({ length: 50 }, () => b.uint32()));
  assert.notDeepEqual(xa, Array.from({ length: 50 }, () => c.uint32()));
  assert.ok(xa.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32));
});

test('Random: uniform, int, intBetween, bool stay in range with the right moments', () => {
  const r = new Random(1);
  const n = 100_000;
  let sum = 0, sumSq = 0, trues = 0;
  const counts = new Array(7).fill(0);
  for (let i = 0; i < n; i++) {
    const u = r.next();
    assert.ok(u >= 0 && u < 1);
    sum += u; sumSq += u * u;
    counts[r.int(7)]++;
    if (r.bool(0.3)) trues++;
    const k = r.intBetween(-3, 2);
    assert.ok(k >= -3 && k <= 2 && Number.isInteger(k));
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.01);
  assert.ok(Math.abs(sumSq / n - sum * sum / n / n - 1 / 12) < 0.003);
  for (const c of counts) assert.ok(Math.abs(c / n - 1 / 7) < 0.01, `int(7) bucket ${c / n}`);
  assert.ok(Math.abs(trues / n - 0.3) < 0.01);
  const u = r.uniform(-2, 5);
  assert.ok(u >= -2 && u < 5);
  assert.throws(() => r.int(0), RangeError);
});

test('Random: normal has mean and std as asked', () => {
  const r = new Random(7);
  const n = 100_000;
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) { const v = r.normal(3, 2); s += v; s2 += v * v; }
  const mean = s / n, std = Math.sqrt(s2 / n - mean * mean);
  assert.ok(Math.abs(mean - 3) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(std - 2) < 0.03, `std ${std}`);
});

test('Random: choice covers every element; fork gives a reproducible independent stream', () => {
  const r = new Random(3);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) seen.add(r.choice(['a', 'b', 'c']));
  assert.deepEqual([...seen].sort(), ['a', 'b', 'c']);
  assert.throws(() => r.choice([]), RangeError);
  const f1 = new Random(9).fork(), f2 = new Random(9).fork();
  assert.equal(f1.uint32(), f2.uint32());
  assert.notEqual(mixSeed(1, 2, 3), mixSeed(1, 3, 2));
  assert.notEqual(mixSeed(1, 2 ** 32), mixSeed(1, 0));
});
