/**
 * Evaluation metrics against independent references: Dice counted by hand, surfel areas of boxes in
 * closed form, and NSD / HD95 / surface areas / distance transforms against
 * scripts/make_eval_fixtures.py (numpy + scipy; it agrees with the DeepMind package to 1e-13).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateLabelMaps } from '../src/eval/case_metrics.js';
import { squaredDistanceTransform } from '../src/eval/distance_transform.js';
import { EvaluationError, parseLabelList, presentValues, toLabelMap } from '../src/eval/label_map.js';
import {
  directedPercentile, normalizedSurfaceDice, robustHausdorff, surfaceDistances,
} from '../src/eval/surface_distance.js';
import { surfaceAreaTable, unitSurfaceTriangles } from '../src/eval/surface_table.js';
import type { Volume } from '../src/io/volume.js';
import { readFixture } from './helpers.js';

type Num = number | null | 'inf';
interface SurfaceCase {
  name: string; shape: [number, number, number]; spacing: [number, number, number];
  reference: number[]; prediction: number[]; dice: Num;
  surface_area_reference: number; surface_area_prediction: number;
  nsd: { tolerance: number; value: Num }[]; hd95: Num; hd100: Num;
}
interface Fixture {
  tables: { spacing: [number, number, number]; areas: number[] }[];
  cases: SurfaceCase[];
  edt: { shape: [number, number, number]; spacing: [number, number, number]; feature: number[]; squared_distance: number[] };
}
const fixture = readFixture<Fixture>('eval_surface.json');
const num = (v: Num): number => (v === null ? NaN : v === 'inf' ? Infinity : v);

function fromRuns(runs: number[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let i = 0;
  runs.forEach((len, k) => { if (k % 2 === 1) out.fill(1, i, i + len); i += len; });
  assert.equal(i, n, 'run lengths cover the volume');
  return out;
}

/** |a - b|, with equal non-finite values (NaN, Infinity) counting as 0 and unequal ones as Infinity. */
function diff(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b ? 0 : Infinity;
  return Math.abs(a - b);
}

const volume3 = (shape: [number, number, number]): number => shape[0] * shape[1] * shape[2];

describe('Dice and counts', () => {
  test('per class on a 4x3x2 volume, counted by hand', () => {
    // z = 0 slice then z = 1 slice, rows of x (x fastest).
    const ref = Int32Array.from([
      0, 1, 1, 0, /**/ 0, 1, 1, 0, /**/ 2, 2, 0, 0,
      0, 0, 0, 0, /**/ 0, 1, 0, 0, /**/ 2, 2, 2, 0,
    ]);
    const pred = Int32Array.from([
      0, 1, 0, 0, /**/ 0, 1, 1, 1, /**/ 2, 0, 0, 0,
      0, 0, 0, 0, /**/ 1, 1, 0, 0, /**/ 2, 2, 2, 2,
    ]);
    // label 1: ref 5 voxels, pred 6; overlap at 4 voxels -> tp 4, fp 2, fn 1.
    // label 2: ref 5, pred 5; overlap 4 -> tp 4, fp 1, fn 1.
    // label 3: absent from both.
    const classes = parseLabelList('1,2,3,1+2');
    const m = evaluateLabelMaps(ref, pred, [4, 3, 2], [1, 1, 1], classes, { nsdToleranceMm: 2 });
    assert.deepEqual([m['1']!.TP, m['1']!.FP, m['1']!.FN, m['1']!.TN], [4, 2, 1, 17]);
    assert.equal(m['1']!.Dice, 8 / 11);
    assert.equal(m['1']!.IoU, 4 / 7);
    assert.deepEqual([m['1']!.n_pred, m['1']!.n_ref], [6, 5]);
    assert.deepEqual([m['2']!.TP, m['2']!.FP, m['2']!.FN], [4, 1, 1]);
    assert.equal(m['2']!.Dice, 0.8);
    // region 1+2 (either value): ref 10 voxels, pred 11, both at 8 -> tp 8, fp 3, fn 2.
    assert.deepEqual([m['(1, 2)']!.TP, m['(1, 2)']!.FP, m['(1, 2)']!.FN], [8, 3, 2]);
    assert.equal(m['(1, 2)']!.Dice, 16 / 21);
    for (const k of ['Dice', 'IoU', 'NSD', 'HD95'] as const) assert.ok(Number.isNaN(m['3']![k]), `label 3 ${k} is NaN`);
    assert.equal(m['3']!.TN, 24);
  });

  test('one empty side: Dice 0, NSD 0, HD95 infinite', () => {
    const ref = new Int32Array(27); ref[13] = 1;
    const m = evaluateLabelMaps(ref, new Int32Array(27), [3, 3, 3], [1, 2, 3], parseLabelList('1'), { nsdToleranceMm: 2 })['1']!;
    assert.deepEqual([m.Dice, m.IoU, m.NSD, m.HD95], [0, 0, 0, Infinity]);
    const m2 = evaluateLabelMaps(new Int32Array(27), ref, [3, 3, 3], [1, 2, 3], parseLabelList('1'), { nsdToleranceMm: 2 })['1']!;
    assert.deepEqual([m2.Dice, m2.NSD, m2.HD95], [0, 0, Infinity]);
  });
});

describe('surfel areas', () => {
  // Our bit dx + 2dy + 4dz is the voxel at offset (dx, dy, dz); the script numbers it as DeepMind
  // does, 7 - (4dx + 2dy + dz).
  const scriptCode = (code: number): number => {
    let out = 0;
    for (let k = 0; k < 8; k++) if ((code >> k) & 1) out |= 1 << (7 - (4 * (k & 1) + 2 * ((k >> 1) & 1) + ((k >> 2) & 1)));
    return out;
  };
  test('the table matches the reference script at isotropic and anisotropic spacing', () => {
    for (const t of fixture.tables) {
      const ours = surfaceAreaTable(t.spacing);
      const worst = Math.max(...Array.from(ours, (a, code) => Math.abs(a - t.areas[scriptCode(code)]!)));
      assert.ok(worst < 1e-12, `spacing ${t.spacing}: max abs diff ${worst}`);
    }
  });

  test('a code and its complement have the same area; empty and full cells none', () => {
    const table = surfaceAreaTable([0.7, 1.3, 2.9]);
    assert.equal(table[0], 0);
    assert.equal(table[255], 0);
    for (let c = 1; c < 255; c++) {
      assert.ok(table[c]! > 0, `code ${c} has area`);
      assert.ok(Math.abs(table[c]! - table[255 - c]!) < 1e-12, `code ${c} vs ${255 - c}`);
    }
    // One corner inside: the triangle through three edge midpoints, area sqrt(3)/8 in the unit cube.
    assert.ok(Math.abs(surfaceAreaTable([1, 1, 1])[1]! - Math.sqrt(3) / 8) < 1e-15);
    assert.equal(unitSurfaceTriangles(1).length, 1);
  });

  // A box of L voxels per axis: flat faces, 12 chamfered edge strips, 8 corner triangles.
  function boxArea(L: [number, number, number], s: [number, number, number]): number {
    const [sx, sy, sz] = s;
    const [a, b, c] = [L[0] - 1, L[1] - 1, L[2] - 1];
    const faces = 2 * (b * c * sy * sz + a * c * sx * sz + a * b * sx * sy);
    const strips = 4 * (a * sx * Math.hypot(sy, sz) + b * sy * Math.hypot(sx, sz) + c * sz * Math.hypot(sx, sy)) / 2;
    const corners = Math.sqrt(sy * sy * sz * sz + sx * sx * sz * sz + sx * sx * sy * sy);
    return faces + strips + corners;
  }

  for (const [L, s] of [[[5, 4, 3], [1, 1, 1]], [[6, 2, 7], [0.8, 1.1, 2.5]], [[1, 1, 1], [2, 0.5, 1.5]]] as [[number, number, number], [number, number, number]][]) {
    test(`a ${L.join('x')} box at spacing ${s.join('x')} has its closed-form area`, () => {
      const shape: [number, number, number] = [L[0] + 3, L[1] + 2, L[2] + 4];
      const mask = new Uint8Array(volume3(shape));
      for (let z = 1; z <= L[2]; z++) for (let y = 1; y <= L[1]; y++) for (let x = 2; x < 2 + L[0]; x++) mask[x + shape[0] * (y + shape[1] * z)] = 1;
      const sd = surfaceDistances(mask, mask, shape, s);
      const area = sd.areasRef.reduce((p, q) => p + q, 0);
      assert.ok(Math.abs(area - boxArea(L, s)) < 1e-9, `${area} vs ${boxArea(L, s)}`);
      assert.ok(sd.distancesRefToPred.every((d) => d === 0));
    });
  }
});

test('distance transform equals scipy distance_transform_edt (anisotropic)', () => {
  const e = fixture.edt;
  const feature = new Uint8Array(volume3(e.shape));
  for (const i of e.feature) feature[i] = 1;
  const ours = squaredDistanceTransform(feature, e.shape, e.spacing);
  const worst = Math.max(...e.squared_distance.map((d, i) => Math.abs(d - ours[i]!)));
  assert.ok(worst < 1e-9, `max abs diff ${worst}`);
  assert.ok(squaredDistanceTransform(new Uint8Array(8), [2, 2, 2], [1, 1, 1]).every((d) => d === Infinity));
});

describe('NSD and HD95 against the reference script', () => {
  const worst = { dice: 0, area: 0, nsd: 0, hd95: 0, hd100: 0 };
  for (const c of fixture.cases) {
    test(c.name, () => {
      const n = volume3(c.shape);
      const ref = fromRuns(c.reference, n), pred = fromRuns(c.prediction, n);
      const sd = surfaceDistances(ref, pred, c.shape, c.spacing);
      const areaRef = sd.areasRef.reduce((a, b) => a + b, 0), areaPred = sd.areasPred.reduce((a, b) => a + b, 0);
      const m = evaluateLabelMaps(Int32Array.from(ref), Int32Array.from(pred), c.shape, c.spacing, parseLabelList('1'), { nsdToleranceMm: 2 })['1']!;
      const checks: [keyof typeof worst, number, number][] = [
        ['dice', m.Dice, num(c.dice)],
        ['area', areaRef, c.surface_area_reference], ['area', areaPred, c.surface_area_prediction],
        ...c.nsd.map((x): [keyof typeof worst, number, number] => ['nsd', normalizedSurfaceDice(sd, x.tolerance), num(x.value)]),
        ['hd95', robustHausdorff(sd, 95), num(c.hd95)], ['hd95', m.HD95, num(c.hd95)],
        ['hd100', robustHausdorff(sd, 100), num(c.hd100)],
      ];
      for (const [what, ours, ref] of checks) {
        const d = diff(ours, ref);
        worst[what] = Math.max(worst[what], d);
        assert.ok(d < 1e-9, `${what}: ${ours} vs reference ${ref}`);
      }
      const nsd2 = c.nsd.find((x) => x.tolerance === 2);
      if (nsd2) assert.ok(diff(m.NSD, num(nsd2.value)) < 1e-9, `NSD at 2 mm: ${m.NSD}`);
    });
  }
  test('worst differences (reported)', () => { console.log(`eval fixture max abs diff: ${JSON.stringify(worst)}`); });
});

test('directed percentile weighs by area', () => {
  // Areas 1, 1, 8: 95% of the area is reached only at the third surfel.
  assert.equal(directedPercentile(Float64Array.from([3, 1, 2]), Float64Array.from([8, 1, 1]), 95), 3);
  // Areas 8, 1, 1 (sorted by distance 1, 2, 3): 80% at the first, 90% at the second.
  assert.equal(directedPercentile(Float64Array.from([1, 2, 3]), Float64Array.from([8, 1, 1]), 85), 2);
  assert.equal(directedPercentile(new Float64Array(0), new Float64Array(0), 95), Infinity);
});

describe('label maps', () => {
  const vol = (data: Volume['data'], channels = 1): Volume => ({
    shape: [data.length / channels, 1, 1], channels, spacing: [1, 1, 1], affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
    orientation: 'RAS', data, datatype: 'float32',
  });
  test('float labels convert; fractions and extra channels are errors naming the file', () => {
    assert.deepEqual([...toLabelMap(vol(Float32Array.from([0, 1, 2, 4])), 'a.nii')], [0, 1, 2, 4]);
    assert.throws(() => toLabelMap(vol(Float32Array.from([0, 1.5])), 'b.nii'), (e: Error) => e instanceof EvaluationError && /b\.nii.*integers.*1\.5/.test(e.message));
    assert.throws(() => toLabelMap(vol(Float32Array.from([0, NaN])), 'n.nii'), /n\.nii/);
    assert.throws(() => toLabelMap(vol(new Uint8Array(4), 2), 'c.nii'), /c\.nii: .*one channel/);
  });
  test('present values and --labels parsing', () => {
    assert.deepEqual(presentValues(Int32Array.from([3, 0, 3, 7, -1])), [-1, 0, 3, 7]);
    assert.deepEqual(parseLabelList('1, 2,1+2+3').map((c) => [c.key, c.values]), [['1', [1]], ['2', [2]], ['(1, 2, 3)', [1, 2, 3]]]);
    assert.throws(() => parseLabelList('1,x'), /--labels: 'x'/);
    assert.throws(() => parseLabelList('1,1'), /listed twice/);
    assert.throws(() => parseLabelList(' , '), /no label/);
  });
});
