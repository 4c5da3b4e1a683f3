/**
 * What the demo (and training) say when the data is not fit to train on (issue 7, item 8): check
 * errors keep their case and file names; a one-case dataset is told that a validation fold needs two
 * cases, and the loader says so too instead of "no cases".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { demo } from '../src/cli/commands/demo.js';
import { prepareDataset } from '../src/data/plan/prepare.js';
import { readDataset } from '../src/data/dataset/dataset.js';
import { BatchLoader } from '../src/data/sampling/loader.js';
import { HIPPOCAMPUS_DIR, requireData } from './helpers/shared_data.js';
import { tempDir } from './helpers.js';

function setup(root: string, ids: string[]): string {
  requireData();
  const dir = join(root, 'T');
  for (const sub of ['imagesTr', 'labelsTr']) mkdirSync(join(dir, sub), { recursive: true });
  for (const id of ids) {
    copyFileSync(join(HIPPOCAMPUS_DIR, 'imagesTr', `${id}.nii.gz`), join(dir, 'imagesTr', `${id}_0000.nii.gz`));
    copyFileSync(join(HIPPOCAMPUS_DIR, 'labelsTr', `${id}.nii.gz`), join(dir, 'labelsTr', `${id}.nii.gz`));
  }
  writeFileSync(join(dir, 'dataset.json'), JSON.stringify({ name: 'T', channel_names: { 0: 'T1' }, labels: { background: 0, a: 1, b: 2 }, numTraining: ids.length, file_ending: '.nii.gz' }));
  return dir;
}

async function runDemo(root: string, args: string[]) {
  const out: string[] = [], err: string[] = [];
  const [log, error] = [console.log, console.error];
  const prev = process.env.PSPSEG_WORK;
  process.env.PSPSEG_WORK = join(root, 'work');
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  console.error = (...a: unknown[]) => { err.push(a.join(' ')); };
  try {
    return { code: await demo.run(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    [console.log, console.error] = [log, error];
    if (prev === undefined) delete process.env.PSPSEG_WORK; else process.env.PSPSEG_WORK = prev;
  }
}

test('the demo lists check errors with their case and file', async (t) => {
  const root = tempDir(t);
  const dir = setup(root, ['hippocampus_004', 'hippocampus_006', 'hippocampus_007']);
  rmSync(join(dir, 'labelsTr', 'hippocampus_006.nii.gz'));
  const r = await runDemo(root, [dir, '--iterations', '1']);
  assert.equal(r.code, 1);
  assert.match(r.err, /^pspseg demo: .*the dataset check found 1 error\(s\):\n  ERROR   hippocampus_006 labelsTr\/hippocampus_006\.nii\.gz: file is missing/);
});

test('a one-case dataset: a validation fold needs at least two cases', async (t) => {
  const root = tempDir(t);
  const dir = setup(root, ['hippocampus_004']);
  const r = await runDemo(root, [dir, '--iterations', '1']);
  assert.equal(r.code, 1);
  assert.match(r.err, /a validation fold needs at least two cases, this dataset has one/);
  // the shared preparation works on it (one case can be trained with every case in both roles)
  const prepared = await prepareDataset(readDataset(dir), { workDir: join(root, 'work', 'T'), progress: false, print: () => undefined });
  assert.equal(prepared.summary.processed.length, 1);
  assert.throws(() => new BatchLoader({ cases: [], patchSize: [16, 16, 16], batchSize: 2, seed: 0, workers: 0 }),
    /BatchLoader: no cases to draw patches from \(a split into training and validation cases needs at least two cases; with one case, train and validate on it: --fold all\)/);
});
