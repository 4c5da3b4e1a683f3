/**
 * prepareDataset, the one-call check -> plan -> preprocess the demo and training use: plans once,
 * plans again when the dataset changed (and redoes only the changed case), keeps a hand-edited plan
 * with a note, and refuses check errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDataset } from '../src/data/dataset/dataset.js';
import { DatasetCheckError } from '../src/data/dataset/check_gate.js';
import { prepareDataset } from '../src/data/plan/prepare.js';
import { readNifti, writeNifti } from '../src/io/nifti.js';
import { HIPPOCAMPUS_DIR, requireData } from './helpers/shared_data.js';
import { tempDir } from './helpers.js';

const IDS = ['hippocampus_004', 'hippocampus_006', 'hippocampus_007'];

test('plans once, again when the dataset changed, keeps a hand-edited plan; refuses check errors', async (t) => {
  requireData();
  const root = tempDir(t);
  const dir = join(root, 'T');
  for (const sub of ['imagesTr', 'labelsTr']) mkdirSync(join(dir, sub), { recursive: true });
  const label = (id: string) => join(dir, 'labelsTr', `${id}.nii.gz`);
  for (const id of IDS) {
    copyFileSync(join(HIPPOCAMPUS_DIR, 'imagesTr', `${id}.nii.gz`), join(dir, 'imagesTr', `${id}_0000.nii.gz`));
    copyFileSync(join(HIPPOCAMPUS_DIR, 'labelsTr', `${id}.nii.gz`), label(id));
  }
  writeFileSync(join(dir, 'dataset.json'), JSON.stringify({ name: 'T', channel_names: { 0: 'T1' }, labels: { background: 0, a: 1, b: 2 }, numTraining: 3, file_ending: '.nii.gz' }));
  const lines: string[] = [];
  const prepare = () => prepareDataset(readDataset(dir), { workDir: join(root, 'work'), progress: false, print: (l) => lines.push(l), planOptions: { foregroundSamples: 1e5 } });
  const edit = async (id: string, from: number, to: number) => {
    const v = await readNifti(label(id));
    v.data[v.data.findIndex((x) => Number(x) === from)] = to;
    await writeNifti(label(id), v);
  };

  const first = await prepare();
  assert.equal(first.planned, true);
  assert.equal(first.summary.processed.length, 3);
  const second = await prepare();
  assert.deepEqual([second.planned, second.summary.processed], [false, []]);

  await edit(IDS[0]!, 1, 2);
  const third = await prepare();
  assert.equal(third.planned, true, 'the dataset changed: planned again');
  assert.deepEqual(third.summary.processed, [IDS[0]]);

  const plan = JSON.parse(readFileSync(third.planPath, 'utf8'));
  plan.batchSize = 3;
  writeFileSync(third.planPath, JSON.stringify(plan, null, 2));
  await edit(IDS[1]!, 1, 2);
  lines.length = 0;
  const fourth = await prepare();
  assert.equal(fourth.planned, false);
  assert.equal(fourth.plan.batchSize, 3, 'the edited plan is used');
  assert.ok(lines.some((l) => /was edited by hand and the dataset changed since it was made \(case hippocampus_006: .* changed\); keeping it/.test(l)), lines.join('\n'));
  assert.deepEqual(fourth.summary.processed, [IDS[1]]);

  await edit(IDS[2]!, 0, 9);
  await assert.rejects(prepare(), (e: Error) => e instanceof DatasetCheckError && /hippocampus_007 labelsTr\/hippocampus_007\.nii\.gz: label values not declared/.test(e.message));
});
