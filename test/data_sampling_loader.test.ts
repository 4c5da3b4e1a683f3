import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveTensorCount } from '../src/tensor/index.js';
import { type Batch, BatchLoader } from '../src/data/sampling/loader.js';
import { blobCase } from './helpers/augment_fixtures.js';

const cases = [blobCase('a', [30, 34, 28], 2), blobCase('b', [26, 40, 30], 2), blobCase('c', [20, 22, 18], 2)];

interface Snapshot { keys: string[]; image: Float32Array; target1: number[]; applied: string }
const snap = (b: Batch): Snapshot => ({ keys: b.keys, image: b.image.toTypedArray<'float32'>(), target1: b.target[1]!.toArray(), applied: JSON.stringify(b.applied) });

async function collect(workers: number, seed: number, n = 6): Promise<Snapshot[]> {
  const loader = new BatchLoader({ cases, patchSize: [16, 20, 16], batchSize: 2, seed, workers, numBatches: n });
  const out: Snapshot[] = [];
  for await (const b of loader) { out.push(snap(b)); b.dispose(); }
  return out;
}

test('loader: batch shapes, deep-supervision targets, keys and draws', async () => {
  const before = liveTensorCount();
  const loader = new BatchLoader({ cases, patchSize: [16, 20, 16], batchSize: 2, seed: 1, workers: 1 });
  assert.deepEqual(loader.cropSize, [28, 29, 25]); // nnU-Net's enlarged initial patch
  for (let i = 0; i < 3; i++) {
    const b = await loader.next();
    assert.equal(b.index, i);
    assert.deepEqual(b.image.shape, [2, 2, 16, 20, 16]);
    assert.deepEqual(b.target.map((t) => t.shape), [[2, 1, 16, 20, 16], [2, 1, 8, 10, 8], [2, 1, 4, 5, 4], [2, 1, 2, 2, 2]]);
    assert.equal(b.keys.length, 2);
    assert.ok(b.keys.every((k) => ['a', 'b', 'c'].includes(k)));
    assert.deepEqual(b.draws.map((d) => d.forced), [false, true]);
    b.dispose();
  }
  await loader.close();
  await assert.rejects(loader.next(), /closed/);
  assert.equal(liveTensorCount(), before);
});

test('loader: same seed, same batches, for any number of workers; another seed differs', async () => {
  const inline = await collect(0, 42), two = await collect(2, 42), again = await collect(1, 42), other = await collect(0, 43);
  assert.deepEqual(two, inline);
  assert.deepEqual(again, inline);
  assert.notDeepEqual(other.map((s) => s.applied), inline.map((s) => s.applied));
});

test('loader: validation batches are plain patches (no augmentation) with targets', async () => {
  const loader = new BatchLoader({ cases, patchSize: [16, 20, 16], batchSize: 3, seed: 3, workers: 0, augment: false, numBatches: 4 });
  assert.deepEqual(loader.cropSize, [16, 20, 16]);
  let n = 0;
  for await (const b of loader) {
    n++;
    assert.deepEqual(b.image.shape, [3, 2, 16, 20, 16]);
    assert.ok(b.applied.every((a) => Object.keys(a).length === 0));
    // Channel 1 is exactly twice channel 0 in these cases; no intensity augmentation may break that.
    const img = b.image.toTypedArray<'float32'>(), per = 16 * 20 * 16;
    for (let i = 0; i < per; i += 37) assert.equal(img[per + i], 2 * img[i]!);
    b.dispose();
  }
  assert.equal(n, 4);
});

test('loader: leaving a for-await loop early closes it; no tensors leak', async () => {
  const before = liveTensorCount();
  const loader = new BatchLoader({ cases, patchSize: [16, 20, 16], batchSize: 2, seed: 9, workers: 2, prefetch: 3 });
  let n = 0;
  for await (const b of loader) { b.dispose(); if (++n === 5) break; }
  await assert.rejects(loader.next(), /closed/);
  assert.equal(liveTensorCount(), before);
});

test('loader: a worker failure rejects next() with the cause', async () => {
  const bad = [cases[0]!, { ...blobCase('mono', [20, 20, 20], 1) }];
  const loader = new BatchLoader({ cases: bad, patchSize: [16, 16, 16], batchSize: 2, seed: 1, workers: 1, augment: false, numBatches: 50 });
  await assert.rejects(async () => { for (;;) (await loader.next()).dispose(); }, /channels/);
  await loader.close();
});
