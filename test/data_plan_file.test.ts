import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlanFileError, loadPlan, planFileStatus, savePlan, validatePlan } from '../src/data/plan/plan_file.js';

/** A small valid plan as it stands in a file. */
function planJson(): Record<string, any> {
  return {
    version: 1, dataset: { name: 'x', root: '/x', numCases: 3 }, labels: [{ name: 'bg', value: 0 }, { name: 'a', value: 1 }],
    channels: [{ name: 'MRI', scheme: 'zscore', useMask: false, intensity: { mean: 1, std: 2, median: 1, min: 0, max: 9, percentile_00_5: 0, percentile_99_5: 9 }, foregroundPercentile005Normalized: -0.5 }],
    transposeForward: [2, 0, 1], transposeBackward: [1, 2, 0], targetSpacing: [1, 1, 1], medianSpacing: [1, 1, 1], medianShape: [10, 10, 10],
    medianRelativeSizeAfterCropping: 1, resampling: { image: { order: 3, orderZ: 0 }, label: { order: 1, orderZ: 0 }, probabilities: { order: 1, orderZ: 0 }, anisotropyThreshold: 3 },
    foregroundSampling: { samplesPerClass: 10000, minCoverage: 0.01, seed: 1 }, patchSize: [16, 32, 16], batchSize: 2, numPools: 4, voxelBudget: 100000,
  };
}

function rejectsWith(edit: (p: Record<string, any>) => void, message: string): void {
  const p = planJson();
  edit(p);
  assert.throws(() => validatePlan(p, '/plans/p.json'), (e: Error) => {
    assert.ok(e instanceof PlanFileError);
    assert.equal(e.message, `/plans/p.json: ${message}`);
    return true;
  });
}

test('plan schema: a valid plan passes unchanged; a plan without a label rule gets nnU-Net\'s', () => {
  const withRule = planJson();
  withRule.resampling.label.rule = 'argmax';
  assert.deepEqual(validatePlan(withRule), withRule);
  const expected = planJson();
  expected.resampling.label.rule = 'threshold';
  assert.deepEqual(validatePlan(planJson()), expected);
});

test('plan schema: each bad field is named, with what it must be and what was found', () => {
  rejectsWith((p) => { p.version = 2; }, 'version must be 1 (this pspseg reads plan version 1), found 2');
  rejectsWith((p) => { delete p.batchSize; }, 'batchSize is missing');
  rejectsWith((p) => { p.batchSize = 1.5; }, 'batchSize must be an integer, found 1.5');
  rejectsWith((p) => { p.dataset.name = 7; }, 'dataset.name must be a string, found 7');
  rejectsWith((p) => { p.labels = [{ name: 'bg', value: 0 }]; }, 'labels must list at least background and one class');
  rejectsWith((p) => { p.labels[1].value = 128; }, 'labels[1].value must be an integer in 0..127, found 128');
  rejectsWith((p) => { p.channels[0].scheme = 'ct'; }, "channels[0].scheme must be one of CT, zscore, none, rescale01, rgb01, found \"ct\"");
  rejectsWith((p) => { p.channels[0].useMask = 'yes'; }, 'channels[0].useMask must be true or false, found "yes"');
  rejectsWith((p) => { p.targetSpacing = [1, 1]; }, 'targetSpacing must be an array of 3 numbers');
  rejectsWith((p) => { p.targetSpacing[2] = 0; }, 'targetSpacing[2] must be a positive number, found 0');
  rejectsWith((p) => { p.transposeForward = [0, 0, 1]; }, 'transposeForward must be a permutation of [0, 1, 2]');
  rejectsWith((p) => { p.transposeBackward = [2, 0, 1]; }, 'transposeBackward must be the inverse of transposeForward');
  rejectsWith((p) => { p.resampling.label.orderZ = 2; }, 'resampling.label.orderZ must be 0, 1 or 3, found 2');
  rejectsWith((p) => { p.resampling.label.rule = 'max'; }, 'resampling.label.rule must be threshold or argmax, found "max"');
  rejectsWith((p) => { p.foregroundSampling.minCoverage = 1.5; }, 'foregroundSampling.minCoverage must be a number in [0, 1], found 1.5');
  rejectsWith((p) => { p.patchSize = [16, 40, 16]; }, 'patchSize[1] must be a multiple of 2^numPools = 16, found 40');
  rejectsWith((p) => { p.numPools = -1; }, 'numPools must be a non-negative integer, found -1');
});

test('plan schema: statistics of a channel without foreground may be null (NaN), except for CT', () => {
  const p = planJson();
  p.channels[0].intensity.mean = null;
  p.channels[0].foregroundPercentile005Normalized = null;
  const v = validatePlan(p);
  assert.ok(Number.isNaN(v.channels[0]!.intensity.mean) && Number.isNaN(v.channels[0]!.foregroundPercentile005Normalized));
  rejectsWith((q) => { q.channels[0].scheme = 'CT'; q.channels[0].intensity.std = null; }, 'channels[0].intensity.std must be a finite number (CT normalisation needs it)');
  rejectsWith((q) => { q.channels[0].intensity.max = 'big'; }, 'channels[0].intensity.max must be a number, or null for a channel without foreground, found "big"');
});

test('plan files: save writes pretty JSON that loads back equal (NaN as null); errors name the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pspseg-planfile-'));
  try {
    const path = join(dir, 'plan.json');
    const plan = validatePlan(planJson());
    plan.channels[0]!.intensity.median = NaN;
    await savePlan(path, plan);
    const text = await readFile(path, 'utf8');
    assert.match(text, /^\{\n  "version": 1,\n  "axes": "x, y, z are the image voxel axes/);
    assert.match(text, /"median": null/);
    assert.deepEqual(await loadPlan(path), plan);
    await assert.rejects(savePlan(path, { ...plan, batchSize: 0 }), /plan\.json: batchSize must be a positive integer, found 0/);
    await writeFile(path, '[1, 2]');
    await assert.rejects(loadPlan(path), (e: Error) => e.message === `${path}: plan must be an object`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('plan files name their axes: triples per image axis (x, y, z), networkAxes for the transpose; older array files load', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pspseg-planaxes-'));
  try {
    const path = join(dir, 'plan.json');
    const p = planJson();
    // transposeForward [2, 0, 1]: network axis 0 is C-order axis 2, which is NIfTI axis x; then z, then y
    p.medianShape = [10, 20, 30];
    p.patchSize = [16, 32, 48];
    const plan = validatePlan(p);
    await savePlan(path, plan);
    const stored = JSON.parse(await readFile(path, 'utf8'));
    assert.deepEqual(stored.networkAxes, ['x', 'z', 'y']);
    assert.deepEqual(stored.medianShape, { x: 10, y: 30, z: 20 });
    assert.deepEqual(stored.patchSize, { x: 16, y: 48, z: 32 });
    assert.equal(stored.transposeForward, undefined);
    assert.deepEqual(await loadPlan(path), plan);

    // a user edit names the axis it edits
    stored.patchSize.y = 40;
    await writeFile(path, JSON.stringify(stored));
    await assert.rejects(loadPlan(path), (e: Error) => e.message === `${path}: patchSize.y must be a multiple of 2^numPools = 16, found 40`);
    stored.patchSize = { x: 16, y: 48, z: 32 };
    stored.networkAxes = ['x', 'x', 'y'];
    await writeFile(path, JSON.stringify(stored));
    await assert.rejects(loadPlan(path), /networkAxes must list "x", "y" and "z", each once/);
    stored.networkAxes = ['x', 'z', 'y'];
    stored.targetSpacing = [1, 1, 1];
    await writeFile(path, JSON.stringify(stored));
    await assert.rejects(loadPlan(path), /targetSpacing must be \{"x": \.\., "y": \.\., "z": \.\.\}/);

    // the older form: arrays in network order with transposeForward
    await writeFile(path, JSON.stringify(p));
    assert.deepEqual(await loadPlan(path), plan);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a plan edited by hand is not replaced unless asked; then the edit is kept beside it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pspseg-planedit-'));
  try {
    const path = join(dir, 'plan.json');
    const plan = validatePlan(planJson());
    await savePlan(path, plan);
    assert.equal(await planFileStatus(path), 'generated');
    // re-indenting is no edit
    await writeFile(path, JSON.stringify(JSON.parse(await readFile(path, 'utf8'))));
    assert.equal(await planFileStatus(path), 'generated');
    await savePlan(path, { ...plan, batchSize: 3 }); // replaces a generated plan
    const edited = JSON.parse(await readFile(path, 'utf8'));
    edited.batchSize = 5;
    await writeFile(path, JSON.stringify(edited, null, 2));
    assert.equal(await planFileStatus(path), 'edited');
    await assert.rejects(savePlan(path, plan), /plan\.json: was edited by hand since pspseg wrote it; not replaced \(--force replaces it/);
    assert.equal((await loadPlan(path)).batchSize, 5);
    await savePlan(path, plan, { replaceEdited: true });
    assert.equal((await loadPlan(path)).batchSize, 2);
    assert.equal((await loadPlan(`${path}.edited`)).batchSize, 5);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
