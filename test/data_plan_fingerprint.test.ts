import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { combineFingerprints } from '../src/data/plan/fingerprint.js';
import { fingerprintCase } from '../src/data/plan/fingerprint_case.js';
import type { LoadedCase } from '../src/data/dataset/case_reader.js';
import { patchAndBatch, targetSpacing, transposeFor } from '../src/data/plan/plan_geometry.js';
import { preprocessDataset } from '../src/data/preprocess/preprocess_dataset.js';
import { validatePlan } from '../src/data/plan/plan_file.js';
import { Progress, formatDuration } from '../src/util/progress.js';

function syntheticCase(id: string, fgValues: number[]): LoadedCase {
  // 4 x 6 x 8 array: a zero border of one voxel on axis 0, foreground voxels carry fgValues
  const shape: [number, number, number] = [4, 6, 8];
  const n = 4 * 6 * 8;
  const image = new Float32Array(n), label = new Int8Array(n);
  for (let i = 48; i < n - 48; i++) image[i] = 1000;
  fgValues.forEach((v, k) => { image[48 + k] = v; label[48 + k] = 1; });
  return { id, shape, spacing: [3, 1, 1], images: [image], label, grid: { shape: [8, 6, 4], spacing: [1, 1, 3], affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 3, 0], [0, 0, 0, 1]], orientation: 'RAS' } };
}

test('fingerprint: crop shape, relative size, foreground statistics from the seeded sample', () => {
  const values = Array.from({ length: 40 }, (_, k) => k + 1);
  const a = fingerprintCase(syntheticCase('a', values), 200000, 1);
  assert.deepEqual(a.fingerprint.shapeAfterCrop, [2, 6, 8]);
  assert.equal(a.fingerprint.relativeSizeAfterCrop, 0.5);
  assert.equal(a.fingerprint.foregroundVoxels, 40);
  const again = fingerprintCase(syntheticCase('a', values), 200000, 1);
  assert.deepEqual(again.samples, a.samples); // seeded
  const fp = combineFingerprints([a, fingerprintCase(syntheticCase('b', values.map((v) => v + 100)), 200000, 1)], 200000, 1);
  const s = fp.foregroundIntensityPropertiesPerChannel[0]!;
  // two equally weighted uniform sets {1..40} and {101..140}: mean 70.5, min 1, max 140
  assert.ok(Math.abs(s.mean - 70.5) < 0.5, `mean ${s.mean}`);
  assert.equal(s.min, 1); assert.equal(s.max, 140);
  assert.ok(s.percentile_00_5 >= 1 && s.percentile_00_5 < 2 && s.percentile_99_5 > 139 && s.median > 40 && s.median < 101);
  assert.equal(fp.medianRelativeSizeAfterCropping, 0.5);
  // per-image statistics for z-score: the mask (label >= 0) is the non-zero region here
  assert.ok(Math.abs(a.fingerprint.channels[0]!.meanMask - (values.reduce((x, y) => x + y) + 1000 * 56) / 96) < 1e-3);
});

test('fingerprint sampling as nnU-Net: every case restarts the seeded stream, each channel draws its own sample', () => {
  const values = Array.from({ length: 40 }, (_, k) => k + 1);
  const two = syntheticCase('two', values);
  two.images.push(two.images[0]!.map((v) => -v)); // a second channel, the first one negated
  const f = fingerprintCase(two, 1000, 7);
  assert.equal(f.samples.length, 2);
  const total = (c: ArrayLike<number>): number => Array.from(c).reduce((x, y) => x + y, 0);
  for (const s of f.samples) assert.equal(total(s.counts), 1000, 'samplesPerCase draws per channel');
  assert.ok(f.samples[1]!.values.every((v) => v < 0) && f.samples[0]!.values.every((v) => v > 0), 'each channel samples its own values');
  const counted = (s: { values: Float32Array; counts: ArrayLike<number> }, sign: number): number[] =>
    values.map((v) => { const i = Array.from(s.values).indexOf(sign * v); return i < 0 ? 0 : s.counts[i]!; });
  assert.notDeepEqual(counted(f.samples[0]!, 1), counted(f.samples[1]!, -1), 'channel 2 continues the stream: other voxels');
  // the same seed for every case: a case with the same number of foreground voxels draws the same voxels
  const other = fingerprintCase(syntheticCase('other id', values.map((v) => v + 100)), 1000, 7);
  assert.deepEqual(Array.from(other.samples[0]!.counts), Array.from(f.samples[0]!.counts));
  assert.notDeepEqual(Array.from(fingerprintCase(syntheticCase('two', values), 1000, 8).samples[0]!.counts), Array.from(f.samples[0]!.counts));
});

test('target spacing: median, and the 10th percentile for a coarse, thin low-res axis', () => {
  assert.deepEqual(targetSpacing([[1, 1, 1], [1, 1, 1], [1.2, 1, 1]], [[40, 50, 40], [40, 50, 40], [40, 50, 40]]), [1, 1, 1]);
  const spacings: [number, number, number][] = [[5, 0.8, 0.8], [5, 0.8, 0.8], [1.5, 0.8, 0.8], [5, 0.8, 0.8], [6, 0.8, 0.8]];
  const shapes: [number, number, number][] = spacings.map(() => [30, 512, 512]);
  const t = targetSpacing(spacings, shapes);
  assert.ok(Math.abs(t[0] - (1.5 + 0.4 * 3.5)) < 1e-9, `${t}`); // numpy.percentile(.., 10) = 2.9
  // many slices: the median stays
  assert.deepEqual(targetSpacing(spacings, spacings.map(() => [200, 512, 512])), [5, 0.8, 0.8]);
  assert.deepEqual(transposeFor([0.8, 0.8, 5]), { forward: [2, 0, 1], backward: [1, 2, 0] });
});

test('patch and batch: multiples of 2^pools, budget respected, batch >= 2, 5% coverage cap', () => {
  const r = patchAndBatch({ spacing: [1, 1, 1], medianShape: [300, 300, 300], numCases: 100, numPools: 4, voxelBudget: 2 * 128 ** 3 });
  assert.deepEqual(r.patchSize, [128, 128, 128]);
  assert.equal(r.batchSize, 2);
  const aniso = patchAndBatch({ spacing: [5, 0.8, 0.8], medianShape: [40, 400, 400], numCases: 50, numPools: 4, voxelBudget: 2 * 128 ** 3 });
  assert.ok(aniso.patchSize.every((n) => n % 16 === 0));
  assert.ok(aniso.patchSize[0] <= 48 && aniso.patchSize[1]! > aniso.patchSize[0]);
  assert.ok(aniso.patchSize.reduce((a, b) => a * b) * 2 <= 2 * 128 ** 3);
  const tiny = patchAndBatch({ spacing: [1, 1, 1], medianShape: [36, 50, 35], numCases: 1000, numPools: 4, voxelBudget: 1e12 });
  assert.equal(tiny.batchSize, Math.round((36 * 50 * 35 * 1000 * 0.05) / (48 * 64 * 48)));
});

test('a failing case stops the pool with an error naming the case', async () => {
  const plan = validatePlan(JSON.parse(JSON.stringify({
    version: 1, dataset: { name: 'x', root: '/x', numCases: 1 }, labels: [{ name: 'bg', value: 0 }, { name: 'a', value: 1 }],
    channels: [{ name: 'MRI', scheme: 'zscore', useMask: false, intensity: { mean: 0, std: 1, median: 0, min: 0, max: 1, percentile_00_5: 0, percentile_99_5: 1 }, foregroundPercentile005Normalized: 0 }],
    transposeForward: [0, 1, 2], transposeBackward: [0, 1, 2], targetSpacing: [1, 1, 1], medianSpacing: [1, 1, 1], medianShape: [10, 10, 10],
    medianRelativeSizeAfterCropping: 1, resampling: { image: { order: 3, orderZ: 0 }, label: { order: 1, orderZ: 0 }, probabilities: { order: 1, orderZ: 0 }, anisotropyThreshold: 3 },
    foregroundSampling: { samplesPerClass: 10000, minCoverage: 0.01, seed: 1 }, patchSize: [16, 16, 16], batchSize: 2, numPools: 4, voxelBudget: 100000,
  })));
  const ds = { cases: [{ id: 'ghost', images: ['/nonexistent/ghost.nii.gz'], channelInFile: 'separate' as const }] };
  const outDir = await mkdtemp(join(tmpdir(), 'pspseg-ghost-'));
  try {
    for (const workers of [0, 1]) {
      await assert.rejects(preprocessDataset(ds, plan, { outDir, workers }), /ghost.*(does not exist|ENOENT)/s);
    }
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
});

test('progress: plain mode prints sparse lines with count, rate and ETA', () => {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  let now = 0;
  const p = new Progress('work', 100, { stream, tty: false, now: () => now });
  for (let i = 0; i < 100; i++) { now += 50; p.tick(1, `item${i}`); }
  p.finish('ok');
  assert.ok(lines.length <= 12, `${lines.length} lines`);
  assert.match(lines[lines.length - 2]!, /work \[#+\] 100\/100 100% 20\.0\/s ETA 00:00/);
  assert.match(lines[lines.length - 1]!, /work: 100\/100 in 00:05 - ok/);
  assert.equal(formatDuration(3725), '1:02:05');
  const tty: string[] = [];
  const ts = new Writable({ write(chunk, _enc, cb) { tty.push(String(chunk)); cb(); } });
  const q = new Progress('t', 3, { stream: ts, tty: true, now: () => (now += 200) });
  q.tick(); q.tick(); q.tick(); q.finish();
  assert.ok(tty.every((s) => s.startsWith('\r')));
});
