/**
 * Memory guards: sizes read and written, the guard's message (what, estimate, available, what to
 * change), workers limited to what fits, and the preprocessing estimate against a measured run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryGuardError, availableMemory, concurrencyFor, formatBytes, guardMemory, parseBytes } from '../src/util/memory.js';
import { inferenceMemoryBytes, preprocessMemoryBytes } from '../src/data/preprocess/memory_estimate.js';
import { guardTrainingMemory, loaderMemoryBytes } from '../src/data/sampling/training_memory.js';
import { guardCaseMemory, preprocessNeeds } from '../src/data/plan/plan_memory.js';
import { HIPPOCAMPUS_DIR, requireData } from './helpers/shared_data.js';

const GB = 2 ** 30, MB = 2 ** 20;

test('sizes: parsed from PSPSEG_MEMORY, printed in MB/GB', () => {
  assert.equal(parseBytes('8G'), 8 * GB);
  assert.equal(parseBytes('512m'), 512 * MB);
  assert.equal(parseBytes('1.5GB'), 1.5 * GB);
  assert.equal(parseBytes('1000'), 1000);
  assert.equal(parseBytes('lots'), undefined);
  assert.equal(formatBytes(11.4 * GB), '11.4 GB');
  assert.equal(formatBytes(820 * MB), '820 MB');
  assert.equal(availableMemory({ PSPSEG_MEMORY: '2G' }), 2 * GB);
  assert.equal(availableMemory({ PSPSEG_MEMORY: 'off' }), Infinity);
  assert.throws(() => availableMemory({ PSPSEG_MEMORY: 'plenty' }), /PSPSEG_MEMORY must be a size such as 8G/);
  assert.ok(availableMemory({}) > 0);
});

test('the guard passes what fits and refuses the rest, naming what, the estimate, the available memory and the remedies', () => {
  guardMemory({ what: 'x', bytes: 0.8 * GB, remedies: [] }, GB);
  assert.throws(() => guardMemory({ what: 'preprocessing case big_001', bytes: 11.4 * GB, remedies: ['a coarser target spacing', 'fewer --workers'] }, 3 * GB),
    (e: Error) => e instanceof MemoryGuardError
      && e.message.startsWith('preprocessing case big_001 needs about 11.4 GB of memory (estimate), but 3.0 GB is available; use a coarser target spacing, or fewer --workers.'));
  // workers: as many of the largest cases as fit together, never fewer than one
  assert.equal(concurrencyFor([3 * GB, 1 * GB, 2 * GB], 8, 10 * GB), 3);
  assert.equal(concurrencyFor([3 * GB, 3 * GB, 3 * GB, 3 * GB], 8, 10 * GB), 3);
  assert.equal(concurrencyFor([3 * GB, 3 * GB], 1, 100 * GB), 1);
  assert.equal(concurrencyFor([9 * GB], 4, 10 * GB), 1);
});

test('per case: the largest case must fit alone; the worker count drops to what fits', () => {
  const plan = { targetSpacing: [0.5, 0.5, 0.5] as [number, number, number], transposeForward: [0, 1, 2] as [number, number, number], transposeBackward: [0, 1, 2] as [number, number, number], channels: [{}, {}] };
  const needs = preprocessNeeds(plan as never, [
    { id: 'small', shape: [100, 100, 50], spacing: [1, 1, 1] },
    { id: 'brats', shape: [240, 240, 155], spacing: [1, 1, 1] },
  ]);
  // 8x the voxels at 0.5 mm; the estimate of memory_estimate.ts for 2 channels
  assert.equal(needs[1]!.bytes, preprocessMemoryBytes(240 * 240 * 155, 480 * 480 * 310, 2));
  assert.match(needs[1]!.description, /^preprocessing case brats \(2 channel\(s\), 240 x 240 x 155 \(x, y, z\) voxels -> 480 x 480 x 310 \(x, y, z\) at 0\.5 x 0\.5 x 0\.5 mm \(x, y, z\)\)$/);
  assert.throws(() => guardCaseMemory(needs, 4, ['a coarser target spacing'], 1 * GB), /^Error|preprocessing case brats .* needs about .* GB of memory \(estimate\), but 1\.0 GB is available; use a coarser target spacing/);
  const fits = guardCaseMemory(needs, 4, [], needs[1]!.bytes / 0.9 + 1);
  assert.equal(fits.workers, 1);
  assert.match(fits.note!, /1 case\(s\) at a time instead of 4: the largest \(brats\) needs about/);
  assert.deepEqual(guardCaseMemory(needs, 4, [], 100 * GB), { workers: 2 }); // never more workers than cases
});

test('training and inference guards take the network\'s estimate and name patch (x, y, z), batch and what to change', () => {
  const o = { bytesPerStep: 9 * GB, patchSize: [128, 96, 160] as [number, number, number], transposeForward: [2, 0, 1] as [number, number, number], batchSize: 2, channels: 4 };
  guardTrainingMemory(o, 100 * GB);
  assert.throws(() => guardTrainingMemory(o, 8 * GB), (e: Error) => {
    // network axes [x, z, y]: x 128, z 96, y 160
    assert.match(e.message, /^a training step at patch 128 x 160 x 96 \(x, y, z\), batch 2, 4 channel\(s\) needs about \d+\.\d GB of memory \(estimate\), but 8\.0 GB is available; use a smaller patch .*, or a smaller batch .*, or fewer loader workers/);
    return true;
  });
  // the loader's share grows with the batch and the patch
  assert.equal(loaderMemoryBytes({ ...o, batchSize: 4 }), 2 * loaderMemoryBytes(o));
  const small = inferenceMemoryBytes({ inputVoxels: 1e6, resampledVoxels: 1e6, channels: 1, classes: 3 });
  const fine = inferenceMemoryBytes({ inputVoxels: 1e6, resampledVoxels: 8e6, channels: 1, classes: 3 });
  assert.ok(fine > small && fine >= 8e6 * 4 * 5, 'at least image, 3 logit channels and the weights on the fine grid');
  assert.equal(inferenceMemoryBytes({ inputVoxels: 1e6, resampledVoxels: 1e6, channels: 1, classes: 3, windowBytes: 100 * GB }) > 100 * GB, true);
});

test('the preprocessing estimate bounds a measured run from above, by less than 2x (hippocampus at 0.3 mm)', () => {
  requireData();
  const bench = fileURLToPath(new URL('../bench/preprocess_memory.js', import.meta.url));
  const label = join(HIPPOCAMPUS_DIR, 'labelsTr', 'hippocampus_004.nii.gz'), image = join(HIPPOCAMPUS_DIR, 'imagesTr', 'hippocampus_004.nii.gz');
  const run = (mode: string) => {
    const r = spawnSync(process.execPath, [bench, mode, '0.3,0.3,0.3', label, image], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  };
  const shapes = run('shapes');
  const measured = run('preprocess').peakGrowthMB * MB;
  const estimate = preprocessMemoryBytes(shapes.inputVoxels, shapes.outputVoxels, 1);
  assert.ok(measured <= estimate && estimate < 2 * measured, `measured ${formatBytes(measured)}, estimated ${formatBytes(estimate)}`);
});
