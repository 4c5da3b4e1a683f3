/**
 * The trainer on every bundled sample (loose files laid out as datasets, planned and
 * preprocessed): two-channel BraTS (two cases: a real validation fold), anisotropic spleen CT and
 * spinal cord (one case: fold 0 is refused with a hint, --fold all trains), and vertebral levels
 * with a gap in the label values. One epoch of two iterations each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Shape3 } from '../src/util/triple.js';
import type { TrainOptions } from '../src/train/options.js';
import { runTraining } from '../src/train/run.js';
import { checkpointWeightsFile } from '../src/models/model_folder.js';
import { SAMPLES_DIR } from './helpers/sample_datasets.js';
import { preparedSample } from './helpers/train_data.js';

const skip = !existsSync(SAMPLES_DIR) && 'no shared data';
const quick = { arch: 'small', epochs: 1, iterations: 2, 'val-iterations': 1, batch: 2, workers: 1, quiet: true } satisfies TrainOptions;
const print = () => {};

/** Patches per image axis x, y, z (the coarse z of the anisotropic samples last). */
const cases: { name: string; patch: Shape3; channels: number; classes: number; folds: number }[] = [
  { name: 'Brats', patch: [32, 32, 32], channels: 2, classes: 5, folds: 2 },
  { name: 'SpleenCT', patch: [32, 32, 8], channels: 1, classes: 2, folds: 1 },
  { name: 'CordT2sGM', patch: [32, 32, 8], channels: 1, classes: 2, folds: 1 },
  { name: 'CordT2Levels', patch: [32, 32, 32], channels: 1, classes: 6, folds: 1 },
];

for (const c of cases) {
  test(`train on the ${c.name} sample`, { skip }, async () => {
    const workDir = await preparedSample(c.name);
    if (c.folds === 1) {
      await assert.rejects(runTraining({ workDir, print, options: { ...quick, patch: c.patch } }), /validation fold needs at least two cases.*--fold all/);
    }
    const fold = c.folds === 1 ? 'all' as const : 1;
    const lines: string[] = [];
    const r = await runTraining({ workDir, print: (l) => lines.push(l), options: { ...quick, fold: String(fold), patch: c.patch } });
    if (fold !== 'all')
      assert.ok(lines.some((l) => /^note: fold 1 validates on one case \(.*\): the pseudo Dice, and so the best checkpoint, rest on it alone \(the dataset has 2 cases, so 2 folds of one case each; --fold all/.test(l)),
        `a split leaving one validation case says so:\n${lines.join('\n')}`);
    assert.equal(r.config.dataset.inChannels, c.channels);
    assert.equal(r.config.dataset.classes, c.classes);
    assert.equal(r.logs.length, 1);
    assert.ok(Number.isFinite(r.logs[0]!.trainLoss) && Number.isFinite(r.logs[0]!.valLoss));
    assert.equal(r.logs[0]!.pseudoDice.length, r.config.dataset.labels.length);
    if (fold === 'all') assert.deepEqual(r.config.valCases, r.config.trainCases);
    else assert.equal(r.config.trainCases.length + r.config.valCases.length, 2);
    assert.ok(existsSync(checkpointWeightsFile(r.outDir, 'final')));
  });
}
