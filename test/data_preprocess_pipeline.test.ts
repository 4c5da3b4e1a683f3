/**
 * End-to-end preprocessing on real data: planning rules on Task04_Hippocampus and the anisotropic
 * spleen CT sample, and preprocess -> mapBack reproducing the original label.
 */
import { test } from 'node:test';
import { dataRoot, tempDir } from './helpers.js';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { readNifti, writeNifti } from '../src/io/nifti.js';
import { join } from 'node:path';
import { readDataset } from '../src/data/dataset/dataset.js';
import { loadCase, type CaseFiles } from '../src/data/dataset/case_reader.js';
import { readCaseFile, writeCaseFile } from '../src/data/preprocess/case_file.js';
import { mapBack } from '../src/data/preprocess/map_back.js';
import { planDataset, type DatasetLike } from '../src/data/plan/plan.js';
import type { Plan } from '../src/data/plan/plan_schema.js';
import { planHash } from '../src/data/preprocess/plan_hash.js';
import { loadPlan, savePlan } from '../src/data/plan/plan_file.js';
import { preprocessCase } from '../src/data/preprocess/preprocess_case.js';
import { determineSeparateZ } from '../src/data/preprocess/resample.js';
import { meanStd } from '../src/data/common/stats.js';

const DATA = dataRoot;
const hippocampus = readDataset(join(DATA, 'Task04_Hippocampus'));

const spleen: DatasetLike = {
  root: join(DATA, 'samples/spleen_ct'),
  name: 'spleen_sample',
  channelNames: ['CT'],
  labels: [{ name: 'background', value: 0 }, { name: 'spleen', value: 1 }],
  cases: [{
    id: 'spleen2', channelInFile: 'separate',
    images: [join(DATA, 'samples/spleen_ct/spleen2_ct.nii.gz')], label: join(DATA, 'samples/spleen_ct/spleen2_ct_seg.nii.gz'),
  }],
};

function dice(a: ArrayLike<number>, b: ArrayLike<number>, cls: number): number {
  let inter = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] === cls, y = b[i] === cls;
    if (x) na++; if (y) nb++; if (x && y) inter++;
  }
  return (2 * inter) / (na + nb);
}

let hippoPlan: Plan;

test('plan on Task04_Hippocampus: 1 mm target, identity transpose, z-score, patch for the median shape', async () => {
  const t0 = performance.now();
  ({ plan: hippoPlan } = await planDataset(hippocampus, { workers: 2 }));
  const p = hippoPlan;
  assert.deepEqual(p.targetSpacing, [1, 1, 1]);
  assert.deepEqual(p.transposeForward, [0, 1, 2]);
  assert.deepEqual(p.medianShape, [36, 50, 35]); // nnU-Net's published median for this task
  assert.equal(p.channels[0]!.scheme, 'zscore');
  assert.equal(p.channels[0]!.useMask, false); // cropping removes nothing here
  assert.ok(p.patchSize.every((n, i) => n % 16 === 0 && n >= p.medianShape[i]! && n < p.medianShape[i]! + 16), `patch ${p.patchSize}`);
  assert.ok(p.batchSize >= 2 && p.batchSize * p.patchSize.reduce((a, b) => a * b) <= p.voxelBudget);
  const fp = p.channels[0]!.foregroundPercentile005Normalized;
  assert.ok(fp < 0 && fp > -5, `normalised 0.5th percentile ${fp}`);
  assert.deepEqual(p.labels.map((l) => l.value), [0, 1, 2]);
  console.log(`planDataset(Task04_Hippocampus): ${((performance.now() - t0) / 1000).toFixed(2)} s`);
});

test('plan files round-trip; bad fields are reported with the file name; patch edits keep the hash', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pspseg-plan-'));
  try {
    const path = join(dir, 'plan.json');
    await savePlan(path, hippoPlan);
    const back = await loadPlan(path);
    assert.deepEqual(back, hippoPlan);
    assert.equal(planHash(back), planHash(hippoPlan));
    assert.equal(planHash({ ...back, patchSize: [32, 32, 32], batchSize: 9 }), planHash(hippoPlan));
    assert.notEqual(planHash({ ...back, targetSpacing: [1, 1, 2] }), planHash(hippoPlan));
    await writeFile(path, JSON.stringify({ ...hippoPlan, patchSize: [40, 64, 48] }));
    await assert.rejects(loadPlan(path), (e: Error) => e.message.includes(path) && e.message.includes('patchSize[0]'));
    await writeFile(path, JSON.stringify({ ...hippoPlan, version: 99 }));
    await assert.rejects(loadPlan(path), (e: Error) => e.message.includes(path) && e.message.includes('version'));
    await writeFile(path, '{ not json');
    await assert.rejects(loadPlan(path), (e: Error) => e.message.includes(path) && e.message.includes('JSON'));
    await assert.rejects(loadPlan(join(dir, 'missing.json')), /missing\.json: plan file does not exist/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('hippocampus: preprocess then mapBack reproduces the original label exactly (through the case file)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pspseg-case-'));
  try {
    for (const c of hippocampus.cases.slice(0, 5) as CaseFiles[]) {
      const loaded = await loadCase(c, 1);
      const pre = preprocessCase(loaded, hippoPlan, planHash(hippoPlan));
      assert.deepEqual(pre.properties.shape, pre.properties.shapeAfterCrop); // no resampling at 1 mm
      const s = meanStd(pre.images[0]!);
      assert.ok(Math.abs(s.mean) < 1e-4 && Math.abs(s.std - 1) < 1e-4);
      const file = join(dir, `${c.id}.pspcase`);
      await writeCaseFile(file, pre);
      const read = await readCaseFile(file);
      assert.deepEqual(read.properties, pre.properties);
      assert.deepEqual(read.images[0], pre.images[0]);
      assert.deepEqual(read.label, pre.label);
      for (const [cls, locs] of pre.classLocations) {
        assert.deepEqual(read.classLocations.get(cls), locs);
        for (const i of locs) assert.equal(read.label![i], cls);
      }
      const back = mapBack(read.label!, read.properties);
      assert.deepEqual(back.shape, loaded.grid.shape);
      assert.deepEqual(back.affine, loaded.grid.affine);
      assert.deepEqual(Array.from(back.data as Uint8Array), Array.from(loaded.label!), `case ${c.id}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('spleen CT sample: anisotropic plan keeps 5 mm slices, separate-z applies, CT normalisation', async () => {
  const { plan } = await planDataset(spleen, { workers: 0 });
  // array axes are [z, y, x]: the 5 mm axis is already first, and the anisotropy rule keeps it
  assert.deepEqual(plan.transposeForward, [0, 1, 2]);
  assert.ok(Math.abs(plan.targetSpacing[0] - 5) < 1e-6 && Math.abs(plan.targetSpacing[1] - 0.795) < 1e-3, `${plan.targetSpacing}`);
  assert.equal(plan.channels[0]!.scheme, 'CT');
  const c = await loadCase(spleen.cases[0]!, 1);
  assert.deepEqual(c.spacing.map((v) => +v.toFixed(3)), [5, 0.795, 0.795]);
  assert.deepEqual(determineSeparateZ(c.spacing, [2.5, 1, 1]), { separateZ: true, axis: 0 });
  assert.deepEqual(determineSeparateZ(c.spacing, plan.targetSpacing), { separateZ: true, axis: 0 });
});

test('spleen CT sample: resampled to 1 x 1 x 2.5 mm and mapped back with Dice > 0.99', async (t) => {
  const { plan } = await planDataset(spleen, { workers: 0, targetSpacingXYZ: [1, 1, 2.5] });
  assert.deepEqual(plan.transposeForward, [0, 1, 2]);
  const c = await loadCase(spleen.cases[0]!, 1);
  const pre = preprocessCase(c, plan, planHash(plan));
  const p = pre.properties;
  assert.notDeepEqual(p.shape, p.shapeAfterCrop);
  assert.equal(p.shape[0], Math.round((p.shapeAfterCrop[0] * 5) / 2.5));
  // CT: clipped to the foreground percentiles, so the normalised range is bounded
  const it = plan.channels[0]!.intensity;
  const hi = (it.percentile_99_5 - it.mean) / it.std, lo = (it.percentile_00_5 - it.mean) / it.std;
  assert.ok(pre.images[0]!.every((v) => v >= lo - 1e-4 && v <= hi + 1e-4));
  assert.ok(Math.abs(plan.channels[0]!.foregroundPercentile005Normalized - lo) < 1e-4);
  const back = mapBack(pre.label!, p);
  assert.deepEqual(back.shape, c.grid.shape);
  const d = dice(back.data as Uint8Array, c.label!, 1);
  assert.ok(d > 0.99, `Dice ${d}`);
  console.log(`spleen 1x1x2.5 mm round trip: Dice ${d.toFixed(4)}`);
  // logits path: two class maps (background = 1 - spleen) give the same answer
  const fg = Float32Array.from(pre.label!, (v) => (v === 1 ? 1 : 0));
  const bg = Float32Array.from(fg, (v) => 1 - v);
  const back2 = mapBack([bg, fg], p);
  assert.ok(dice(back2.data as Uint8Array, c.label!, 1) > 0.99);
  // written with the input's geometry: affine, qform/sform codes, units
  const out = join(tempDir(t, 'pspseg-mapback-'), 'pred.nii.gz');
  await writeNifti(out, back);
  const written = await readNifti(out), original = await readNifti(spleen.cases[0]!.images[0]!);
  assert.deepEqual(written.affine, original.affine);
  for (const k of ['qformCode', 'sformCode', 'xyztUnits'] as const) assert.equal(written.header![k], original.header![k], k);
  assert.deepEqual(written.header!.pixdim.slice(1, 4), original.header!.pixdim.slice(1, 4));
});
