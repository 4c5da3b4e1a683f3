/**
 * Train, predict, evaluate, as a user does: `runTraining` trains the small U-Net for two short epochs
 * on ten hippocampus cases (fold 0: eight to train, two to validate), `pspseg predict --val` segments
 * the fold's validation cases from the dataset's original imagesTr files, `pspseg evaluate --model`
 * scores them against labelsTr. Checked: the predictions keep each input's grid and header; the
 * summary has Dice per class for every validation case, equal to Dice counted here from the files;
 * the training figures are the training log's and the parameter count is the network's, counted
 * here by hand; the inference figures are the prediction log's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readNifti } from '../src/io/nifti.js';
import { predict } from '../src/cli/commands/predict.js';
import { evaluate } from '../src/cli/commands/evaluate.js';
import { parseSummaryJson } from '../src/eval/summary.js';
import { runTraining } from '../src/train/run.js';
import { liveTensorCount } from '../src/tensor/index.js';
import { tempDir } from './helpers.js';
import { hippocampusSubset } from './helpers/train_data.js';
import { requireData } from './helpers/shared_data.js';

/** Parameters of the small U-Net (src/models/small_unet.ts), counted from its layers: convs with bias, affine instance norms. */
function smallUNetParameters(cin: number, classes: number, [a, b, c]: number[]): number {
  const block = (i: number, o: number) => 27 * i * o + o + 2 * o; // conv 3x3x3 + bias, norm weight + bias
  const pointwise = (i: number, o: number) => i * o + o;
  return block(cin, a!) + block(a!, a!) + block(a!, b!) + block(b!, b!) + block(b!, c!) + block(c!, c!)
    + pointwise(c!, b!) + block(b!, b!) + pointwise(b!, a!) + block(a!, a!) + pointwise(a!, classes);
}

function dice(pred: ArrayLike<number>, ref: ArrayLike<number>, value: number): number {
  let both = 0, p = 0, r = 0;
  for (let i = 0; i < ref.length; i++) {
    const a = pred[i] === value, b = ref[i] === value;
    if (a) p++;
    if (b) r++;
    if (a && b) both++;
  }
  return p + r === 0 ? NaN : (2 * both) / (p + r);
}

test('train -> predict --val -> evaluate --model on hippocampus: geometry kept, Dice per case and class, training and inference figures', async (t) => {
  requireData();
  const workDir = await hippocampusSubset(10);
  const datasetDir = join(workDir, '..', '..', 'Hippocampus10'); // the subset's MSD folder (helpers/train_data.ts)
  const run = await runTraining({
    workDir, print: () => {},
    options: { arch: 'small', name: 'e2e', epochs: 2, iterations: 3, 'val-iterations': 2, batch: 2, patch: [32, 32, 32], seed: 0, workers: 1, quiet: true },
  });
  const fold = run.outDir;
  const valCases = [...run.config.valCases].sort();
  assert.equal(valCases.length, 2);

  const out = tempDir(t, 'pspseg-e2e-');
  const preds = join(out, 'predictions');
  const live = liveTensorCount();
  const code = await predict.run(['-i', join(datasetDir, 'imagesTr'), '-o', preds, '-m', fold, '--val', '--quiet']);
  assert.equal(code, 0);
  assert.equal(liveTensorCount(), live, 'prediction leaves no tensor behind');
  assert.deepEqual(readdirSync(preds).filter((f) => f.endsWith('.nii.gz')).sort(), valCases.map((id) => `${id}.nii.gz`), 'exactly the validation cases');

  for (const id of valCases) {
    const [pred, image] = await Promise.all([readNifti(join(preds, `${id}.nii.gz`)), readNifti(join(datasetDir, 'imagesTr', `${id}.nii.gz`))]);
    assert.equal(pred.datatype, 'uint8');
    assert.deepEqual(pred.shape, image.shape, `${id}: shape`);
    assert.deepEqual(pred.affine, image.affine, `${id}: affine`);
    assert.deepEqual(pred.spacing, image.spacing, `${id}: spacing`);
    assert.equal(pred.orientation, image.orientation);
    for (const k of ['qformCode', 'sformCode', 'quatern', 'qoffset', 'srow', 'xyztUnits'] as const)
      assert.deepEqual(pred.header![k], image.header![k], `${id}: header ${k}`);
    assert.ok((pred.data as Uint8Array).every((v) => v <= 2), `${id}: labels 0..2`);
  }

  const summaryPath = join(preds, 'summary.json');
  const evalCode = await evaluate.run([preds, join(datasetDir, 'labelsTr'), '--dataset', datasetDir, '--model', fold, '--allow-missing', '--quiet', '--jobs', '1']);
  assert.equal(evalCode, 0);
  const s = parseSummaryJson(readFileSync(summaryPath, 'utf8'));
  assert.deepEqual(s.metric_per_case.map((c) => c.case).sort(), valCases);
  assert.deepEqual(Object.keys(s.labels).sort(), ['1', '2']);
  for (const c of s.metric_per_case) {
    const [p, r] = await Promise.all([readNifti(c.prediction_file), readNifti(c.reference_file)]);
    for (const k of ['1', '2']) {
      const d = c.metrics[k]!.Dice;
      const expected = dice(p.data as Uint8Array, r.data as ArrayLike<number>, Number(k));
      assert.ok(d >= 0 && d <= 1, `${c.case} class ${k}: Dice ${d}`);
      assert.ok(Math.abs(d - expected) < 1e-12, `${c.case} class ${k}: Dice ${d}, counted ${expected}`);
    }
  }

  const tr = s.resources.training!;
  assert.deepEqual(tr.missing, []);
  assert.equal(tr.epochs_logged, 2);
  const epochSeconds = run.logs.map((e) => e.epochSeconds);
  assert.ok(Math.abs(tr.mean_epoch_time_s! - (epochSeconds[0]! + epochSeconds[1]!) / 2) < 1e-9 && tr.mean_epoch_time_s! > 0);
  assert.equal(tr.peak_rss_mb, Math.max(...run.logs.map((e) => e.peakRssMB)));
  const params = smallUNetParameters(1, 3, [16, 32, 64]);
  assert.deepEqual(tr.parameters, { initial: params, total: params, active: params });

  const inf = s.resources.inference!;
  const log = JSON.parse(readFileSync(join(preds, 'predict_log.json'), 'utf8')) as { cases: { seconds: number }[]; peak_rss_mb: number };
  assert.equal(inf.cases, 2);
  assert.equal(inf.tta, true);
  assert.ok(Math.abs(inf.mean_case_time_s! - (log.cases[0]!.seconds + log.cases[1]!.seconds) / 2) < 1e-9 && inf.mean_case_time_s! > 0);
  assert.equal(inf.peak_rss_mb, log.peak_rss_mb);
});
