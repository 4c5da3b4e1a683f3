/**
 * `pspseg evaluate` end to end on small NIfTI folders written here: pairing by case name, spacing
 * from the headers, summary.json (nnU-Net layout) and CSV, missing predictions, geometry mismatches,
 * dataset labels, resource figures, option checks and the worker path.
 */
import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { evaluate } from '../src/cli/commands/evaluate.js';
import { evaluateLabelMaps } from '../src/eval/case_metrics.js';
import { parseLabelList } from '../src/eval/label_map.js';
import { parseSummaryJson, type EvaluationSummary } from '../src/eval/summary.js';
import { writeNifti } from '../src/io/nifti.js';
import type { Volume } from '../src/io/volume.js';
import { repoRoot } from './helpers.js';
import { pspArchitecture } from '../src/models/architecture.js';

const tmp = mkdtempSync(join(tmpdir(), 'pspseg-eval-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const SHAPE: [number, number, number] = [16, 14, 10];
const SPACING: [number, number, number] = [0.9, 1.2, 2.5];
const N = SHAPE[0] * SHAPE[1] * SHAPE[2];

function labelVolume(data: Uint8Array, spacing = SPACING, shape = SHAPE): Volume {
  return {
    shape, channels: 1, spacing,
    affine: [[-spacing[0], 0, 0, 20], [0, spacing[1], 0, -5], [0, 0, spacing[2], 3], [0, 0, 0, 1]],
    orientation: 'LAS', data, datatype: 'uint8',
  };
}

/** Boxes of labels: [label, x0, y0, z0, x1, y1, z1) each. */
function boxes(list: number[][], shape = SHAPE): Uint8Array {
  const out = new Uint8Array(shape[0] * shape[1] * shape[2]);
  for (const [v, x0, y0, z0, x1, y1, z1] of list) {
    for (let z = z0!; z < z1!; z++) for (let y = y0!; y < y1!; y++) for (let x = x0!; x < x1!; x++) out[x + shape[0] * (y + shape[1] * z)] = v!;
  }
  return out;
}

const REF = {
  case_a: boxes([[1, 2, 2, 2, 9, 9, 6], [2, 10, 3, 3, 14, 12, 8]]),
  case_b: boxes([[1, 4, 4, 1, 12, 11, 7]]),
  case_c: boxes([[2, 3, 3, 3, 8, 8, 8]]),
};
const PRED = {
  case_a: boxes([[1, 3, 2, 2, 10, 9, 7], [2, 10, 4, 3, 14, 12, 7]]),
  case_b: boxes([[1, 5, 4, 2, 12, 12, 7], [2, 0, 0, 0, 2, 2, 2]]),
};

async function writeCases(dir: string, cases: Record<string, Uint8Array>, spacing = SPACING): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const [id, data] of Object.entries(cases)) await writeNifti(join(dir, `${id}.nii.gz`), labelVolume(data, spacing));
}

/** Runs the command in this process with its console output captured. */
async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const { log, error } = console;
  const write = process.stderr.write;
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  console.error = (...a: unknown[]) => { err.push(a.join(' ')); };
  try {
    return { code: await evaluate.run(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
    process.stderr.write = write;
  }
}

/** The spacing as the NIfTI header stores it (float32). */
const HEADER_SPACING = SPACING.map(Math.fround) as [number, number, number];
const readSummary = (path: string): EvaluationSummary => parseSummaryJson(readFileSync(path, 'utf8'));
const expected = (id: 'case_a' | 'case_b', labels: string) =>
  evaluateLabelMaps(Int32Array.from(REF[id]), Int32Array.from(PRED[id]), SHAPE, HEADER_SPACING, parseLabelList(labels), { nsdToleranceMm: 2 });

const refDir = join(tmp, 'refs'), predDir = join(tmp, 'preds');
before(async () => {
  await writeCases(refDir, REF);
  await writeCases(predDir, PRED);
  await writeNifti(join(predDir, 'stray.nii.gz'), labelVolume(REF.case_c));
});

describe('evaluate a folder', () => {
  test('writes summary.json and CSV; a missing prediction is listed and fails the run', async () => {
    const r = await runCli([predDir, refDir, '--quiet', '--jobs', '1']);
    assert.equal(r.code, 1, 'a missing prediction fails');
    assert.match(r.err, /1 missing prediction\(s\):\n {2}case_c/);
    assert.match(r.err, /stray\.nii\.gz/);
    const s = readSummary(join(predDir, 'summary.json'));
    assert.deepEqual(s.metric_per_case.map((c) => c.case), ['case_a', 'case_b']);
    assert.deepEqual(s.missing_predictions.map((m) => m.case), ['case_c']);
    assert.equal(s.missing_predictions[0]!.reference_file, join(refDir, 'case_c.nii.gz'));
    assert.deepEqual(s.unmatched_predictions, [join(predDir, 'stray.nii.gz')]);
    // Labels: every nonzero value in the evaluated references (1 and 2).
    assert.deepEqual(Object.keys(s.mean), ['1', '2']);
    const a = s.metric_per_case[0]!;
    assert.equal(a.prediction_file, join(predDir, 'case_a.nii.gz'));
    assert.equal(a.reference_file, join(refDir, 'case_a.nii.gz'));
    // Metrics with the spacing read from the headers.
    assert.deepEqual(a.metrics, expected('case_a', '1,2'));
    assert.deepEqual(s.metric_per_case[1]!.metrics, expected('case_b', '1,2'));
    // case_b has no label 2 in its reference but one in its prediction: Dice 0, NSD 0, HD95 inf.
    const b2 = s.metric_per_case[1]!.metrics['2']!;
    assert.deepEqual([b2.Dice, b2.NSD, b2.HD95, b2.FP], [0, 0, Infinity, 8]);
    // Means ignore NaN; an infinite HD95 makes the class mean infinite.
    assert.equal(s.mean['1']!.Dice, (a.metrics['1']!.Dice + s.metric_per_case[1]!.metrics['1']!.Dice) / 2);
    assert.equal(s.mean['2']!.HD95, Infinity);
    assert.equal(s.foreground_mean.Dice, (s.mean['1']!.Dice + s.mean['2']!.Dice) / 2);
    assert.equal(s.nsd_tolerance_mm, 2);
    assert.equal(s.resources.training, null);
    assert.equal(s.resources.inference, null);
    // JSON has no NaN/Infinity tokens.
    assert.match(readFileSync(join(predDir, 'summary.json'), 'utf8'), /"HD95": "inf"/);

    const csv = readFileSync(join(predDir, 'summary.csv'), 'utf8').trim().split('\n');
    assert.equal(csv[0], 'case,prediction_file,reference_file,label,name,Dice,IoU,NSD,HD95,FP,TP,FN,TN,n_pred,n_ref');
    assert.equal(csv.length, 1 + 2 * 2, 'one row per case and class');
    assert.match(csv[4]!, /^case_b,.*,2,,0,0,0,inf,8,0,0,/);
    // The table: one row per class and the foreground mean.
    assert.match(r.out, /^label\s+name\s+cases\s+Dice\s+NSD@2mm\s+HD95 mm$/m);
    assert.match(r.out, /^mean\s+\(foreground\)\s+2\s/m);
  });

  test('--allow-missing, --labels, --nsd-tolerance and --output', async () => {
    const out = join(tmp, 'out', 'metrics.json');
    const r = await runCli([predDir, refDir, '--quiet', '--allow-missing', '--labels', '1,1+2', '--nsd-tolerance', '0.5', '--output', out]);
    assert.equal(r.code, 0, r.err);
    const s = readSummary(out);
    assert.deepEqual(Object.keys(s.mean), ['1', '(1, 2)']);
    assert.equal(s.nsd_tolerance_mm, 0.5);
    const want = evaluateLabelMaps(Int32Array.from(REF.case_a), Int32Array.from(PRED.case_a), SHAPE, HEADER_SPACING, parseLabelList('1,1+2'), { nsdToleranceMm: 0.5 });
    assert.deepEqual(s.metric_per_case[0]!.metrics, want);
    assert.notEqual(want['1']!.NSD, expected('case_a', '1')['1']!.NSD, 'the tolerance matters here');
    assert.equal(readFileSync(join(tmp, 'out', 'metrics.csv'), 'utf8').trim().split('\n').length, 1 + 2 * 2);
  });

  test('worker threads give the same summary', async () => {
    const one = join(tmp, 'one.json'), two = join(tmp, 'two.json');
    assert.equal((await runCli([predDir, refDir, '--quiet', '--allow-missing', '--jobs', '1', '--output', one])).code, 0);
    assert.equal((await runCli([predDir, refDir, '--quiet', '--allow-missing', '--jobs', '2', '--output', two])).code, 0);
    assert.deepEqual(readSummary(two).metric_per_case, readSummary(one).metric_per_case);
  });
});

test('a prediction on another grid is an error naming both files; the other cases are evaluated', async () => {
  const preds = join(tmp, 'preds_bad');
  await writeCases(preds, { case_a: PRED.case_a });
  await writeCases(preds, { case_b: PRED.case_b }, [0.9, 1.2, 3]);
  const r = await runCli([preds, refDir, '--quiet', '--allow-missing']);
  assert.equal(r.code, 1);
  const predFile = join(preds, 'case_b.nii.gz'), refFile = join(refDir, 'case_b.nii.gz');
  const s = readSummary(join(preds, 'summary.json'));
  assert.equal(s.errors.length, 1);
  assert.ok(s.errors[0]!.error.includes(predFile) && s.errors[0]!.error.includes(refFile), s.errors[0]!.error);
  assert.match(s.errors[0]!.error, /spacing 0\.9x1\.2x3 mm differs from 0\.9x1\.2x2\.5 mm/);
  assert.ok(r.err.includes(predFile) && r.err.includes(refFile));
  assert.deepEqual(s.metric_per_case.map((c) => c.case), ['case_a']);

  const shapes = join(tmp, 'preds_shape');
  mkdirSync(shapes);
  await writeNifti(join(shapes, 'case_a.nii.gz'), labelVolume(new Uint8Array(8 * 14 * 10), SPACING, [8, 14, 10]));
  const r2 = await runCli([shapes, refDir, '--quiet', '--allow-missing']);
  assert.equal(r2.code, 1);
  assert.match(r2.err, /case_a\.nii\.gz does not match reference .*case_a\.nii\.gz: shape 8x14x10 differs from 16x14x10/);
});

test('a dataset folder gives references and label names; model and predict logs give resources', async () => {
  const ds = join(tmp, 'Task99_Boxes');
  await writeCases(join(ds, 'labelsTr'), REF);
  writeFileSync(join(ds, 'dataset.json'), JSON.stringify({
    name: 'Boxes', modality: { 0: 'MRI' }, labels: { 0: 'background', 1: 'front', 2: 'back', 3: 'never' },
    training: Object.keys(REF).map((id) => ({ image: `./imagesTr/${id}.nii.gz`, label: `./labelsTr/${id}.nii.gz` })),
  }));
  // A fold folder as 'pspseg train' writes it: the trainer's epoch records (other fields left out here) and
  // a pruned PSP-Seg S (1 channel, 3 classes, no deep-supervision heads): docs/method.md ("Variants and parameter counts") gives the unpruned
  // count, 5,368,735; enc1 lost block 1 and masks block 2, each (C 32, hidden 16, kernel 1x3x3 / 3x1x3)
  // 32*16+16 + 16*32*9+32 + 1 (scale) = 5169 parameters.
  const model = join(tmp, 'model');
  mkdirSync(model);
  const epochRecord = (epoch: number, epochSeconds: number, peakRssMB: number, numParameters: number) => ({
    epoch, lr: 0.01, trainLoss: 1, trainTerms: {}, valLoss: 1, valTerms: {}, pseudoDice: [0.5], meanPseudoDice: 0.5, ema: 0.5, best: false,
    epochSeconds, trainSeconds: epochSeconds - 1, valSeconds: 1, dataWaitSeconds: 0, peakRssMB, numParameters,
  });
  // a pruning record stands before the epoch it happened in, as the trainer writes it
  const pruningRecord = { type: 'pruning', epoch: 2, kind: 'deleted', reason: 'converged', blocks: [], step: 1, parametersBefore: 5_368_735, parametersAfter: 5_363_566 };
  writeFileSync(join(model, 'training_log.jsonl'), [epochRecord(0, 10, 900, 5_368_735), epochRecord(1, 12, 1100, 5_368_735), pruningRecord, epochRecord(2, 14, 1000, 5_363_566)]
    .map((e) => `${JSON.stringify(e)}\n`).join(''));
  const arch = pspArchitecture({ variant: 'S', classes: 3, deepSupervision: false });
  writeFileSync(join(model, 'architecture.json'), JSON.stringify({ ...arch, blocks: { enc1: ['active', 'deleted', 'masked', 'active'] } }));
  const preds = join(tmp, 'preds_ds');
  await writeCases(preds, PRED);
  writeFileSync(join(preds, 'predict_log.json'), JSON.stringify({
    model, checkpoint: 'final', device: 'cpu', step: 0.5, tta: true, mirror_axes: [0, 1, 2], failed: 1, peak_rss_mb: 700, total_seconds: 5,
    cases: [{ id: 'case_a', status: 'ok', seconds: 1.5 }, { id: 'case_b', status: 'ok', seconds: 2.5 }, { id: 'case_c', status: 'failed', error: 'unreadable' }],
  }));

  const r = await runCli([preds, ds, '--quiet', '--allow-missing', '--model', model]);
  assert.equal(r.code, 0, r.err);
  const s = readSummary(join(preds, 'summary.json'));
  assert.deepEqual(s.labels, { 1: { name: 'front', values: [1] }, 2: { name: 'back', values: [2] }, 3: { name: 'never', values: [3] } });
  // A declared label absent everywhere: NaN in every case and in the mean; the foreground mean skips it.
  assert.ok(Number.isNaN(s.mean['3']!.Dice));
  assert.equal(s.foreground_mean.Dice, (s.mean['1']!.Dice + s.mean['2']!.Dice) / 2);
  assert.match(r.out, /^1\s+front\s+2\s/m);
  const t = s.resources.training!;
  assert.deepEqual([t.epochs_logged, t.mean_epoch_time_s, t.total_epoch_time_s, t.peak_rss_mb], [3, 12, 36, 1100]);
  assert.deepEqual(t.parameters, { initial: 5_368_735, total: 5_368_735 - 5169, active: 5_368_735 - 2 * 5169 });
  assert.deepEqual(t.missing, []);
  const inf = s.resources.inference!;
  assert.deepEqual([inf.cases, inf.mean_case_time_s, inf.total_time_s, inf.peak_rss_mb, inf.tta, inf.device], [2, 2, 4, 700, true, 'cpu']);

  // A log in another format is an error naming the file and the line, not a silent gap.
  const other = join(tmp, 'model_other');
  mkdirSync(other);
  writeFileSync(join(other, 'training_log.jsonl'), `${JSON.stringify(epochRecord(0, 10, 900, 1))}\n${JSON.stringify({ epoch: 1, epoch_time_s: 12 })}\n`);
  const r3 = await runCli([preds, ds, '--quiet', '--allow-missing', '--model', other]);
  assert.equal(r3.code, 1);
  assert.ok(r3.err.includes(`${join(other, 'training_log.jsonl')}: line 2: epochSeconds: Required`), r3.err);

  // A model folder without its files: figures missing, named.
  const empty = join(tmp, 'model_empty');
  mkdirSync(empty);
  const r2 = await runCli([preds, ds, '--quiet', '--allow-missing', '--model', empty]);
  assert.equal(r2.code, 0);
  assert.deepEqual(readSummary(join(preds, 'summary.json')).resources.training!.missing, ['training_log.jsonl', 'architecture.json']);
  assert.match(r2.err, /not found: training_log\.jsonl, architecture\.json/);
});

describe('options', () => {
  for (const [args, pattern] of [
    [['--nsd-tolerance=-1'], /--nsd-tolerance must be a number >= 0, got '-1'/],
    [['--nsd-tolerance', 'two'], /--nsd-tolerance must be/],
    [['--jobs', '0'], /--jobs must be an integer >= 1, got '0'/],
    [['--jobs', '1.5'], /--jobs must be an integer >= 1/],
    [['--tolerance', ''], /--tolerance must be a number >= 0/],
    [['--labels', '1,a'], /--labels: 'a'/],
    [['--output', 'x.txt'], /--output must name a \.json file/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
  ] as [string[], RegExp][]) {
    test(`${args.join(' ')} is refused`, async () => {
      const r = await runCli([predDir, refDir, ...args]);
      assert.equal(r.code, 2);
      assert.match(r.err, pattern);
    });
  }
  test('one positional is refused; --help prints the usage', async () => {
    assert.equal((await runCli([predDir])).code, 2);
    const h = await runCli(['--help']);
    assert.equal(h.code, 0);
    assert.match(h.out, /^usage: pspseg evaluate PREDICTIONS REFERENCES/);
  });
  test('a model folder that does not exist is an error naming it', async () => {
    const r = await runCli([predDir, refDir, '--quiet', '--model', join(tmp, 'nowhere')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /nowhere: no such model folder/);
  });
  test('no matching prediction is an error', async () => {
    const empty = join(tmp, 'no_preds');
    mkdirSync(empty);
    const r = await runCli([empty, refDir, '--quiet', '--allow-missing']);
    assert.equal(r.code, 1);
    assert.match(r.err, /no prediction in .*no_preds matches a reference/);
  });
});

test('pspseg lists and runs evaluate', async () => {
  const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
  const { stdout } = await promisify(execFile)(process.execPath, [cli, '--help']);
  assert.match(stdout, /^ {2}evaluate\s+score predictions/m);
  const r = await promisify(execFile)(process.execPath, [cli, 'evaluate', predDir, refDir, '--quiet', '--allow-missing', '--output', join(tmp, 'cli.json')]);
  assert.match(r.stdout, /2 case\(s\) evaluated/);
});
