/**
 * Cross-validation splits against numpy (test/fixtures/splits.json, scripts/make_splits_fixture.py):
 * the legacy MT19937 stream and shuffle, nnU-Net's KFold splits and its 80:20 fallback; and the
 * splits.json file: created once, edits respected, bad files named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFixture } from './helpers.js';
import { NumpyRandomState } from '../src/util/numpy_random.js';
import { crossValidationSplits, foldCases, randomSplit, type Split } from '../src/train/splits.js';

interface Fixture {
  mt19937_seed12345_first: number[];
  mt19937_seed12345_620_to_630: number[];
  mt19937_seed12345_1290_to_1300: number[];
  shuffle_arange1000_seed7: number[];
  datasets: Record<string, { ids: string[]; splits: Split[]; random_fold5: Split | null }>;
}
const fx = readFixture<Fixture>('splits.json');

test('MT19937 seeded like numpy RandomState(12345) gives numpy\'s raw stream, across state twists', () => {
  const rs = new NumpyRandomState(12345);
  const raw = Array.from({ length: 1300 }, () => rs.uint32());
  assert.deepEqual(raw.slice(0, 8), fx.mt19937_seed12345_first);
  assert.deepEqual(raw.slice(620, 630), fx.mt19937_seed12345_620_to_630);
  assert.deepEqual(raw.slice(1290, 1300), fx.mt19937_seed12345_1290_to_1300);
});

test('legacy shuffle equals numpy RandomState(7).shuffle(arange(1000))', () => {
  const a = Array.from({ length: 1000 }, (_, i) => i);
  new NumpyRandomState(7).shuffle(a);
  assert.deepEqual(a, fx.shuffle_arange1000_seed7);
});

for (const [name, d] of Object.entries(fx.datasets)) {
  test(`5-fold splits of the ${name} ids (n = ${d.ids.length}) equal nnU-Net's`, () => {
    assert.deepEqual(crossValidationSplits(d.ids), d.splits);
    if (d.random_fold5) assert.deepEqual(randomSplit(d.ids, 5), d.random_fold5);
  });
}

test('splits.json: created once, an edited file is respected, fold all and one-case datasets', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pspseg-splits-'));
  const path = join(dir, 'splits.json');
  const ids = fx.datasets.seven!.ids;
  const f0 = await foldCases(path, ids, 0);
  assert.deepEqual({ train: f0.train, val: f0.val }, fx.datasets.seven!.splits[0]);
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), fx.datasets.seven!.splits, 'nnU-Net format on disk');

  const edited: Split[] = [{ train: ['case_0', 'case_1'], val: ['case_2'] }];
  writeFileSync(path, JSON.stringify(edited));
  const e0 = await foldCases(path, ids, 0);
  assert.deepEqual({ train: e0.train, val: e0.val }, edited[0]);
  const e3 = await foldCases(path, ids, 3);
  assert.deepEqual({ train: e3.train, val: e3.val }, randomSplit(ids, 3), 'a fold past the file: the seeded 80:20 split');

  const all = await foldCases(path, ids, 'all');
  assert.deepEqual(all.train, [...ids].sort());
  assert.deepEqual(all.val, all.train);

  await assert.rejects(foldCases(join(dir, 'none.json'), ['only_case'], 0), /at least two cases.*--fold all/);
  const one = await foldCases(join(dir, 'none.json'), ['only_case'], 'all');
  assert.deepEqual(one.train, ['only_case']);
});

test('a bad splits.json is an error naming the file and the problem', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pspseg-splits-'));
  const path = join(dir, 'splits.json');
  const ids = ['a', 'b', 'c'];
  const bad: [string, RegExp][] = [
    ['{not json', /not valid JSON/],
    [JSON.stringify({ train: ['a'] }), /expected a list/],
    [JSON.stringify([{ train: ['a'], val: [3] }]), /\[0\]\[val\]\[0\]/],
    [JSON.stringify([{ train: ['a'], val: ['zzz'] }]), /fold 0 val lists case\(s\) that are not preprocessed: zzz/],
    [JSON.stringify([{ train: [], val: ['a'] }]), /fold 0 has no training cases/],
  ];
  for (const [text, re] of bad) {
    writeFileSync(path, text);
    await assert.rejects(foldCases(path, ids, 0), (err: Error) => err.message.startsWith(path) && re.test(err.message), text);
  }
});
