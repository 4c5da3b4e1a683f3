/**
 * The addon's CPU allocator (native/src/allocator.cpp): with transparent huge pages available, blocks of
 * 1 MiB or more get their own mappings, a freed mapping is reused by the next block of its size, and the
 * data is intact; the cache of freed mappings is bounded and releases the oldest first; smaller blocks, and oneDNN's raw allocations, go through it unharmed; PSPSEG_ALLOCATOR=glibc
 * turns it off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Generator, arange, empty, engineConfig, randn, tidy } from '../src/tensor/index.js';
import { Conv3d } from '../src/nn/index.js';

const thpFile = '/sys/kernel/mm/transparent_hugepage/enabled';
const thp = existsSync(thpFile) && !readFileSync(thpFile, 'utf8').includes('[never]');

test('large blocks: mapped once, reused at the same size, data intact', { skip: !thp && 'transparent huge pages are off here' }, () => {
  const before = engineConfig().allocator;
  assert.equal(before.name, 'huge-pages');
  const n = 3 * 2 ** 20; // 12 MiB of float32
  const first = tidy(() => {
    const t = arange(0, n, 1, { dtype: 'float32' });
    const a = t.toTypedArray<'float32'>();
    return [a[0], a[n - 1]];
  });
  assert.deepEqual(first, [0, n - 1]);
  const mid = engineConfig().allocator;
  assert.ok(mid.maps! + mid.reuses! > before.maps! + before.reuses!, 'the block came from the allocator');
  assert.ok(mid.cachedBytes! >= n * 4, 'freed: kept for the next block of its size');
  const sum = tidy(() => arange(0, n, 1, { dtype: 'float32' }).sum().item());
  assert.equal(sum, (n - 1) * n / 2);
  const after = engineConfig().allocator;
  assert.ok(after.reuses! > mid.reuses!, 'the second block of that size reused the mapping');
  assert.equal(after.maps, mid.maps, 'no new mapping');
});

test('the cache is bounded: blocks of sizes not asked for again go back to the OS, oldest first', { skip: !thp && 'transparent huge pages are off here' }, () => {
  const MiB = 2 ** 20;
  // one block at a time (live: one block), 20 sizes of 2..40 MiB: 420 MiB freed into the cache in all
  for (let k = 1; k <= 20; k++) tidy(() => { empty([k * 2 * MiB / 4], { dtype: 'float32' }); });
  const a = engineConfig().allocator;
  assert.ok(a.cachedBytes! <= 256 * MiB, `cached ${a.cachedBytes! / MiB} MiB, bound 256 MiB (the floor: this test held less at once)`);
  assert.ok(a.cachedBytes! >= 200 * MiB, `cached ${a.cachedBytes! / MiB} MiB: the newest blocks stay`);
  assert.equal(a.mappedBytes, a.cachedBytes, 'nothing live: every mapping still held is a cached one');
  // the newest (40 MiB) is still cached, the oldest (2 MiB) was released
  const before = engineConfig().allocator;
  tidy(() => { empty([40 * MiB / 4], { dtype: 'float32' }); });
  assert.equal(engineConfig().allocator.reuses, before.reuses! + 1);
  tidy(() => { empty([2 * MiB / 4], { dtype: 'float32' }); });
  assert.equal(engineConfig().allocator.maps, before.maps! + 1, 'the 2 MiB block was mapped afresh');
});

test('small blocks and oneDNN\'s scratch buffers (a batch-of-one conv) work through the allocator', () => tidy(() => {
  const g = new Generator(0);
  const conv = new Conv3d(1, 16, 3, { padding: 1, generator: g });
  const y = conv.forward(randn([1, 1, 32, 32, 32], { generator: g }));
  y.sum().backward();
  assert.ok(Number.isFinite(y.sum().item()));
  assert.equal(tidy(() => randn([3], { generator: g }).shape[0]), 3);
}));

test('PSPSEG_ALLOCATOR=glibc keeps every block in glibc\'s heap; an unknown value is an error naming it', () => {
  const script = `import('${fileURLToPath(new URL('../src/tensor/index.js', import.meta.url))}').then((m) => console.log(m.engineConfig().allocator.name))`;
  const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, PSPSEG_ALLOCATOR: 'glibc' }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'glibc');
  const bad = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, PSPSEG_ALLOCATOR: 'hugepages' }, encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /PSPSEG_ALLOCATOR=hugepages: must be auto, huge-pages or glibc/);
});
