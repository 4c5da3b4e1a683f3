import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFixture } from './helpers.js';
import type { Shape3, Spacing3 } from '../src/util/triple.js';
import { resampleLabel } from '../src/data/preprocess/resample_label.js';

interface Case {
  name: string; shape: Shape3; newShape: Shape3; current: Spacing3; target: Spacing3; label: number[];
  threshold: Record<'0' | '1', number[]>; argmax: number[];
}
const { cases } = readFixture<{ cases: Case[] }>('label_resampling.json');

function mismatches(actual: Int8Array, expected: number[]): string {
  const bad = expected.flatMap((v, i) => (actual[i] === v ? [] : [`voxel ${i}: ${actual[i]} instead of ${v}`]));
  return `${bad.length} of ${expected.length} voxels differ${bad.length ? `: ${bad.slice(0, 5).join('; ')}` : ''}`;
}

test('three classes meeting in one voxel: the threshold rule leaves background, argmax takes the highest class', () => {
  // [1, 2 / 3, 0] in one 2x2 slice, shrunk to one voxel: every class mask interpolates to 1/4 there
  const shape: Shape3 = [1, 2, 2], one: Shape3 = [1, 1, 1], spacing: Spacing3 = [1, 1, 1], coarse: Spacing3 = [1, 2, 2];
  const label = Int8Array.of(1, 2, 3, 0);
  assert.deepEqual(resampleLabel(label, shape, one, spacing, coarse), Int8Array.of(0));
  assert.deepEqual(resampleLabel(label, shape, one, spacing, coarse, { order: 1, orderZ: 0, rule: 'argmax' }), Int8Array.of(3));
  // with one class at 1/2 both rules agree on it
  assert.deepEqual(resampleLabel(Int8Array.of(1, 2, 3, 3), shape, one, spacing, coarse), Int8Array.of(3));
});

for (const c of cases) {
  test(`label resampling equals the numpy/scipy reference of nnU-Net's rule: ${c.name}`, () => {
    assert.ok(c.threshold['0'].some((v, i) => v !== c.argmax[i]), 'the case tells the two rules apart');
    const label = Int8Array.from(c.label);
    for (const orderZ of [0, 1] as const) {
      const r = resampleLabel(label, c.shape, c.newShape, c.current, c.target, { order: 1, orderZ });
      assert.equal(r.length, c.threshold[orderZ].length);
      assert.ok(r.every((v, i) => v === c.threshold[orderZ][i]), `orderZ ${orderZ}: ${mismatches(r, c.threshold[orderZ])}`);
    }
    const m = resampleLabel(label, c.shape, c.newShape, c.current, c.target, { order: 1, orderZ: 0, rule: 'argmax' });
    assert.ok(m.every((v, i) => v === c.argmax[i]), `argmax: ${mismatches(m, c.argmax)}`);
  });
}

test('the separate-z cases exercise nnU-Net\'s own z pass: order_z 1 differs from order_z 0', () => {
  const sep = cases.filter((c) => c.name.includes('separate z'));
  assert.ok(sep.length > 0 && sep.every((c) => c.threshold['0'].some((v, i) => v !== c.threshold['1'][i])));
});
