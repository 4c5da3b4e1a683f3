/**
 * `pspseg dataset`, `check`, `plan` and `preprocess` on every bundled sample (CT, anisotropic, PSR
 * orientation, int16 images, float labels, two-channel MRI): the loose sample files are made into
 * nnU-Net v2 datasets (of links to the read-only files) by `pspseg dataset`, as a user would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { dataRoot, tempDir } from './helpers.js';
import { check } from '../src/cli/commands/check.js';
import { dataset } from '../src/cli/commands/dataset.js';
import { plan } from '../src/cli/commands/plan.js';
import { preprocess } from '../src/cli/commands/preprocess.js';
import { loadPlan } from '../src/data/plan/plan_file.js';

interface Sample {
  name: string;
  channels: string[];
  /** The `pspseg dataset` inputs. */
  images: string[];
  labels: string[];
  labelNames: string;
  /** What dataset.json must then declare. */
  expectLabels: Record<string, number>;
  cases: number;
}

const s = (...p: string[]) => join(dataRoot, 'samples', ...p);
const samples: Sample[] = [
  { name: 'SpleenCT', channels: ['CT'], images: [s('spleen_ct', 'spleen2_ct.nii.gz')], labels: [s('spleen_ct', 'spleen2_ct_seg.nii.gz')], labelNames: 'spleen', expectLabels: { background: 0, spleen: 1 }, cases: 1 },
  { name: 'CordT1', channels: ['T1'], images: [s('spinalcord', 't1', 't1w.nii.gz')], labels: [s('spinalcord', 't1', 't1w_seg-manual.nii.gz')], labelNames: 'cord', expectLabels: { background: 0, cord: 1 }, cases: 1 },
  { name: 'CordT2Levels', channels: ['T2'], images: [s('spinalcord', 't2', 't2.nii.gz')], labels: [s('spinalcord', 't2', 't2_seg-manual_labeled.nii.gz')], labelNames: '2=C2,3=C3,4=C4,5=C5', expectLabels: { background: 0, C2: 2, C3: 3, C4: 4, C5: 5 }, cases: 1 },
  { name: 'CordT2sGM', channels: ['T2star'], images: [s('spinalcord', 't2s', 't2s.nii.gz')], labels: [s('spinalcord', 't2s', 't2s_gmseg_manual.nii.gz')], labelNames: 'grey_matter', expectLabels: { background: 0, grey_matter: 1 }, cases: 1 },
  {
    name: 'Brats', channels: ['FLAIR', 'T1c'],
    images: [s('brats2015', '*', 'Flair_subtrMeanDivStd.nii.gz'), s('brats2015', '*', 'T1c_subtrMeanDivStd.nii.gz')], labels: [s('brats2015', '*', 'OTMultiClass.nii.gz')],
    labelNames: 'necrosis,edema,non_enhancing,enhancing', expectLabels: { background: 0, necrosis: 1, edema: 2, non_enhancing: 3, enhancing: 4 }, cases: 2,
  },
];

/** Runs a command with its output swallowed. */
async function quietly(run: () => Promise<number>): Promise<number> {
  const [log, error] = [console.log, console.error];
  console.log = () => undefined;
  try { return await run(); } finally { [console.log, console.error] = [log, error]; }
}

for (const d of samples) {
  test(`dataset, check, plan and preprocess work on the ${d.name} sample`, { skip: !existsSync(s()) && 'no shared data' }, async (t) => {
    const root = tempDir(t, 'pspseg-samples-');
    const dir = join(root, d.name);
    const work = join(root, 'work');
    const prev = process.env.PSPSEG_WORK;
    process.env.PSPSEG_WORK = work;
    try {
      const made = await quietly(() => dataset.run([dir, ...d.images.flatMap((i) => ['-i', i]), ...d.labels.flatMap((l) => ['-l', l]),
        '--channel-names', d.channels.join(','), '--label-names', d.labelNames]));
      assert.equal(made, 0, 'pspseg dataset succeeds');
      const json = JSON.parse(readFileSync(join(dir, 'dataset.json'), 'utf8'));
      assert.deepEqual(json.labels, d.expectLabels);
      assert.deepEqual(Object.values(json.channel_names), d.channels);
      assert.equal(json.numTraining, d.cases);
      assert.equal(await quietly(() => check.run([dir, '--quiet'])), 0, 'check passes');
      assert.equal(await quietly(() => plan.run([dir, '--quiet'])), 0, 'plan succeeds');
      const p = await loadPlan(join(work, d.name, 'plan.json'));
      assert.equal(p.channels.length, d.channels.length);
      assert.equal(p.channels[0]!.scheme, d.channels[0] === 'CT' ? 'CT' : 'zscore');
      assert.equal(await quietly(() => preprocess.run([dir, '--quiet'])), 0, 'preprocess succeeds');
      const files = readdirSync(join(work, d.name, 'preprocessed')).filter((f) => f.endsWith('.pspcase'));
      assert.equal(files.length, d.cases);
    } finally {
      if (prev === undefined) delete process.env.PSPSEG_WORK; else process.env.PSPSEG_WORK = prev;
    }
  });
}
