/** Outside-body voxels train as background (nnU-Net); only padding is ignored (-1). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchLoader } from '../src/data/sampling/loader.js';
import { caseArraysFromChannels } from '../src/data/sampling/patch_sampler.js';

test('outside-body labels become background, padding stays -1', async () => {
  const shape: [number, number, number] = [4, 4, 4];
  const label = new Int8Array(64).fill(-1); // all outside the body ...
  label[21] = 1; // ... but one foreground voxel
  label[22] = 0; // and one background voxel inside the body
  const image = new Float32Array(64).fill(1);
  const c = caseArraysFromChannels('tiny', [image], shape, label, new Map([[1, [21]]]));
  const loader = new BatchLoader({ cases: [c], patchSize: [8, 8, 8], batchSize: 1, seed: 3, augment: false, workers: 0, numBatches: 1 });
  for await (const batch of loader) {
    const t = batch.target[0].toArray();
    const counts = new Map<number, number>();
    for (const v of t) counts.set(v, (counts.get(v) ?? 0) + 1);
    assert.equal(counts.get(1), 1, 'the foreground voxel');
    assert.equal(counts.get(0), 63, 'body background and outside-body voxels are background');
    assert.equal(counts.get(-1), 512 - 64, 'padding is ignored');
    assert.equal(counts.has(-2), false, 'the internal marker never leaves the pipeline');
    batch.dispose();
  }
});
