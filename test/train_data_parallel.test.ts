/**
 * Data parallelism's bookkeeping (src/train/data_parallel.ts), without a group: each rank's share of the
 * global batch keeps nnU-Net's foreground oversampling of the whole batch, the seed streams differ between
 * ranks (rank 0 of one process draws what a single process draws), and bad torchrun variables are errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRankOfGroup, joinFromEnvironment, rankBatch, rankSeed } from '../src/train/data_parallel.js';
import { roundHalfEven } from '../src/data/common/round.js';
import { mixSeed } from '../src/util/random.js';

test('rankBatch: the ranks\' forced-foreground samples add up to the global batch\'s, the last ones forced', () => {
  for (const [batch, world] of [[2, 2], [4, 2], [8, 4], [12, 3], [6, 6]] as const)
    for (const p of [0, 0.2, 0.33, 0.5, 1]) {
      const globalForced = batch - roundHalfEven(batch * (1 - p));
      const shares = Array.from({ length: world }, (_, r) => rankBatch(batch, p, r, world));
      let forced = 0;
      shares.forEach((s, r) => {
        assert.equal(s.batchSize, batch / world);
        const mine = s.batchSize - roundHalfEven(s.batchSize * (1 - s.oversampleForeground));
        forced += mine;
        // forced samples sit at the end of the global batch: a rank has some only if every later rank is all forced
        if (mine > 0) shares.slice(r + 1).forEach((later) => assert.equal(later.oversampleForeground, 1));
      });
      assert.equal(forced, globalForced, `batch ${batch}, ${world} ranks, p ${p}`);
    }
  assert.deepEqual(rankBatch(2, 0.33, 0, 1), { batchSize: 2, oversampleForeground: 0.33 });
  assert.throws(() => rankBatch(3, 0.33, 0, 2), /--batch 3 cannot be split evenly over 2 ranks/);
});

test('rankSeed: one process keeps its streams; ranks get their own', () => {
  assert.equal(rankSeed(5, 3, 1, null), mixSeed(5, 3, 1));
  const group = null as never;
  const seeds = [0, 1, 2].map((rank) => rankSeed(5, 3, 1, { group, rank, worldSize: 3, localRank: rank }));
  assert.equal(new Set([...seeds, mixSeed(5, 3, 1)]).size, 4);
});

test('joinFromEnvironment: one process without WORLD_SIZE; missing or bad variables name themselves', () => {
  assert.equal(joinFromEnvironment({}), null);
  assert.equal(joinFromEnvironment({ WORLD_SIZE: '1' }), null);
  assert.throws(() => joinFromEnvironment({ WORLD_SIZE: '2', RANK: '0', MASTER_ADDR: '127.0.0.1' }), /MASTER_PORT is not set/);
  assert.throws(() => joinFromEnvironment({ WORLD_SIZE: '2', RANK: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '1234' }), /RANK=2 is not below WORLD_SIZE=2/);
  assert.throws(() => joinFromEnvironment({ WORLD_SIZE: 'two' }), /WORLD_SIZE=two: expected an integer/);
  // the launcher and the trainer agree on what makes a rank: WORLD_SIZE above 1
  assert.equal(isRankOfGroup({ RANK: '0', WORLD_SIZE: '1' }), false);
  assert.equal(isRankOfGroup({}), false);
  assert.equal(isRankOfGroup({ RANK: '1', WORLD_SIZE: '2' }), true);
});
