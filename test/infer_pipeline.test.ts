/**
 * `pspseg predict` end to end: a model folder (config, architecture, plan, checkpoints) whose network
 * thresholds its input, an anisotropic, obliquely oriented NIfTI with a zero border (cropped), a plan
 * with a transpose and a different target spacing and a patch larger than the image on one axis. The
 * labels written must equal "input > threshold" voxel for voxel on the input's own grid, with the
 * input's header; a broken file is reported and skipped; probabilities are a valid float16 .npz.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { ThresholdNet } from './helpers/infer_networks.js';
import { parseNpy } from './helpers/npy.js';
import { readNifti, writeNifti } from '../src/io/nifti.js';
import { encodeNifti } from '../src/io/nifti.js';
import { parseNiftiHeader } from '../src/io/nifti_header.js';
import type { Volume } from '../src/io/volume.js';
import { DEFAULT_FOREGROUND_SAMPLING } from '../src/data/preprocess/foreground_locations.js';
import { DEFAULT_RESAMPLING } from '../src/data/preprocess/resample.js';
import { PLAN_VERSION, type Plan } from '../src/data/plan/plan_schema.js';
import { savePlan } from '../src/data/plan/plan_file.js';
import { type Module, saveWeights } from '../src/nn/index.js';
import { fromHalfBits } from '../src/util/float16.js';
import { type InferenceNetwork, type NetworkBuilder, loadModelFolder } from '../src/infer/model_folder.js';
import { planHash } from '../src/data/preprocess/plan_hash.js';
import { predict, predictRequest } from '../src/cli/commands/predict.js';
import { runPredict } from '../src/cli/commands/predict_run.js';

// The test's "architecture": a threshold on one input channel (its threshold is the checkpoint's weight).
const thresholdBuilder: NetworkBuilder = (arch) => {
  const a = arch as { kind: string; channel: number };
  if (a.kind !== 'threshold') throw new Error(`unknown kind ${a.kind}`);
  return new ThresholdNet(a.channel) as InferenceNetwork;
};

/** `pspseg predict ARGV` with the threshold networks. */
function run(argv: string[]): Promise<number> {
  const p = predict.parse(argv);
  if (p.help) throw new Error('no --help here');
  return runPredict(predictRequest(p.options), { builder: thresholdBuilder });
}
/** The options predict would run with; null for --help. */
function parsePredictArgs(argv: string[]) {
  const p = predict.parse(argv);
  return p.help ? null : predictRequest(p.options);
}
import { liveTensorCount } from '../src/tensor/index.js';

const root = mkdtempSync(join(tmpdir(), 'pspseg-predict-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const T_FINAL = 20.25, T_BEST = 11.25;

function basePlan(over: Partial<Plan>): Plan {
  const stats = { mean: 0, std: 1, median: 0, min: 0, max: 40, percentile_00_5: 0, percentile_99_5: 40 };
  return {
    version: PLAN_VERSION,
    dataset: { name: 'predict_test', root, numCases: 1 },
    labels: [{ name: 'background', value: 0 }, { name: 'above', value: 1 }],
    channels: [{ name: 'ramp', scheme: 'none', useMask: false, intensity: stats, foregroundPercentile005Normalized: 0 }],
    transposeForward: [0, 1, 2], transposeBackward: [0, 1, 2],
    targetSpacing: [1, 1, 1], medianSpacing: [1, 1, 1], medianShape: [16, 16, 16], medianRelativeSizeAfterCropping: 0.9,
    resampling: structuredClone(DEFAULT_RESAMPLING), foregroundSampling: { ...DEFAULT_FOREGROUND_SAMPLING },
    patchSize: [16, 16, 16], batchSize: 2, numPools: 2, voxelBudget: 100000,
    ...over,
  };
}

/**
 * A model folder as the trainer writes it (config.json's dataset fields, architecture, checkpoints final
 * and best); the plan in the dataset's work folder (as the trainer leaves it) or, when the work folder
 * moved, three levels up.
 */
async function makeModel(name: string, plan: Plan, channel: number, planInWorkDir = true): Promise<string> {
  const work = join(root, name);
  const dir = join(work, 'models', 'm', 'fold_0');
  mkdirSync(dir, { recursive: true });
  const workDir = planInWorkDir ? work : join(root, `${name}_moved_away`);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    version: 1, name: 'm', fold: 0, valCases: ['rampcase'], trainCases: ['other'], patchSize: plan.patchSize,
    dataset: {
      name: 'predict_test', workDir, preprocessedDir: join(workDir, 'preprocessed'), planHash: planHash(plan),
      inChannels: plan.channels.length, classes: 2, labels: [{ name: 'above', value: 1 }], foregroundFill: [0], maskedChannels: [],
    },
  }));
  writeFileSync(join(dir, 'architecture.json'), JSON.stringify({ kind: 'threshold', channel }));
  await savePlan(join(work, 'plan.json'), plan);
  for (const [ckpt, t] of [['final', T_FINAL], ['best', T_BEST]] as const) {
    const net = new ThresholdNet(channel, t);
    saveWeights(join(dir, `checkpoint_${ckpt}.safetensors`), net as unknown as Module, { epoch: ckpt === 'final' ? '3' : '2' });
    net.dispose();
  }
  return dir;
}

// Anisotropic (x 3 mm), oblique axis order (orientation LIA), x = 0 plane and y >= 28 zero (cropped away).
const SHAPE: [number, number, number] = [12, 30, 26];
const SPACING: [number, number, number] = [3.0, 0.8, 0.9];
const AFFINE = [[-3, 0, 0, 10], [0, 0, 0.9, -5], [0, -0.8, 0, 20], [0, 0, 0, 1]];
const ramp = (x: number, y: number, z: number): number => (x >= 1 && y < 28 ? 1 + y + 0.5 * z : 0);

function writeInput(path: string, value: (x: number, y: number, z: number) => number, qformCode = 1, sformCode = 2): Volume {
  const [nx, ny, nz] = SHAPE;
  const data = new Float32Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) data[x + nx * (y + ny * z)] = value(x, y, z);
  const vol: Volume = { shape: SHAPE, channels: 1, spacing: SPACING, affine: AFFINE, orientation: 'LIA', data, datatype: 'float32' };
  // a header with distinct qform / sform codes and a description, kept verbatim by the writer
  const header = parseNiftiHeader(encodeNifti(vol)[0]!, 'memory');
  header.qformCode = qformCode; header.sformCode = sformCode; header.descrip = 'predict test input';
  const withHeader = { ...vol, header };
  writeFileSync(path, Buffer.concat(encodeNifti(withHeader)));
  return withHeader;
}

function expectedLabels(t: number, value = ramp): Uint8Array {
  const [nx, ny, nz] = SHAPE;
  const out = new Uint8Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) out[x + nx * (y + ny * z)] = value(x, y, z) > t ? 1 : 0;
  return out;
}

function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

// Transposed axes [x, z, y]: spacing [3, 0.9, 0.8] -> [2, 1.2, 0.974]; cropped 11x26x28 -> 16x20x23, patch 16x16x32
// (one window along x, two along z, y padded from 23 to 32: 4 before, 5 after).
const anisotropicPlan = basePlan({
  transposeForward: [2, 0, 1], transposeBackward: [1, 2, 0],
  targetSpacing: [2, 1.2, 0.974], medianSpacing: [3, 0.9, 0.8], medianShape: [16, 20, 23], patchSize: [16, 16, 32],
});

test('predict: labels equal the thresholded input in the original geometry (anisotropic, transposed, cropped, padded); header kept; bad file skipped', async () => {
  const model = await makeModel('aniso', anisotropicPlan, 0);
  const input = join(root, 'aniso_in');
  mkdirSync(input);
  const vol = writeInput(join(input, 'rampcase_0000.nii.gz'), ramp);
  writeFileSync(join(input, 'broken_0000.nii.gz'), Buffer.from('this is not a NIfTI file at all'));
  const out = join(root, 'aniso_out');
  const before = liveTensorCount();
  const code = await run(['-i', input, '-o', out, '-m', model, '--quiet', '--save-probabilities']);
  assert.equal(code, 1, 'a failed case makes the exit code non-zero');
  assert.equal(liveTensorCount(), before, 'no tensor leaks (the network is disposed)');

  const pred = await readNifti(join(out, 'rampcase.nii.gz'));
  assert.equal(pred.datatype, 'uint8');
  assert.deepEqual(pred.shape, SHAPE);
  const expected = expectedLabels(T_FINAL);
  const ones = expected.reduce((s, v) => s + v, 0);
  assert.ok(ones > 1000 && ones < 0.6 * expected.length, `both classes present (${ones} of ${expected.length} above)`);
  assert.equal(mismatches(pred.data as Uint8Array, expected), 0, 'labels = input > threshold, every voxel');
  // the input's header geometry, verbatim
  const h = pred.header!, hi = vol.header!;
  assert.equal(h.qformCode, 1); assert.equal(h.sformCode, 2);
  assert.deepEqual(h.pixdim.slice(0, 4), hi.pixdim.slice(0, 4));
  assert.deepEqual(h.quatern, hi.quatern); assert.deepEqual(h.qoffset, hi.qoffset); assert.deepEqual(h.srow, hi.srow);
  assert.equal(h.xyztUnits, hi.xyztUnits); assert.equal(h.descrip, 'predict test input');
  assert.equal(pred.orientation, 'LIA');
  const inp = await readNifti(join(input, 'rampcase_0000.nii.gz'));
  assert.deepEqual(pred.affine, inp.affine);
  assert.deepEqual(pred.spacing, inp.spacing);

  // probabilities: [classes, z, y, x] float16 summing to 1, argmax = labels, background 1 outside the crop
  const zip = readFileSync(join(out, 'rampcase.npz'));
  const csize = zip.readUInt32LE(18), nameLen = zip.readUInt16LE(26);
  const npy = parseNpy(inflateRawSync(zip.subarray(30 + nameLen, 30 + nameLen + csize)));
  assert.equal(npy.descr, '<f2');
  assert.deepEqual(npy.shape, [2, 26, 30, 12]);
  const half = new Uint16Array(npy.data.buffer.slice(npy.data.byteOffset, npy.data.byteOffset + npy.data.byteLength));
  const n = 12 * 30 * 26;
  for (let i = 0; i < n; i++) {
    const p0 = fromHalfBits(half[i]!), p1 = fromHalfBits(half[n + i]!);
    assert.ok(Math.abs(p0 + p1 - 1) < 2e-3, `voxel ${i}: ${p0} + ${p1}`);
    assert.equal(p1 > p0 ? 1 : 0, (pred.data as Uint8Array)[i], `voxel ${i} argmax`);
    if (i % 12 === 0) assert.equal(p0, 1, 'outside the crop: background');
  }

  const log = JSON.parse(readFileSync(join(out, 'predict_log.json'), 'utf8'));
  assert.equal(log.failed, 1);
  assert.ok(log.peak_rss_mb > 0);
  const [broken, good] = log.cases;
  assert.equal(broken.id, 'broken'); assert.equal(broken.status, 'failed');
  assert.match(broken.error, /broken_0000\.nii\.gz/);
  assert.equal(good.id, 'rampcase'); assert.equal(good.status, 'ok');
  assert.ok(good.seconds > 0 && good.preprocess_seconds > 0);
  assert.equal(good.windows, 2); assert.equal(good.forwards, 16); // 2 windows x 8 mirrorings
});

test('predict: --no-tta gives the same labels for this point-wise network; --checkpoint best loads other weights; plan found three levels up when the work folder moved', async () => {
  const model = await makeModel('aniso_up', anisotropicPlan, 0, false);
  const input = join(root, 'aniso_in2');
  mkdirSync(input);
  const file = join(input, 'single.nii');
  writeInput(file, ramp);
  const noTta = join(root, 'out_notta'), best = join(root, 'out_best');
  assert.equal(await run(['-i', file, '-o', noTta, '-m', model, '--quiet', '--no-tta', '--step', '0.25', '--batch', '3', '--no-overlap']), 0);
  const a = await readNifti(join(noTta, 'single.nii'));
  assert.equal(mismatches(a.data as Uint8Array, expectedLabels(T_FINAL)), 0);
  const log = JSON.parse(readFileSync(join(noTta, 'predict_log.json'), 'utf8'));
  assert.equal(log.tta, false); assert.equal(log.step, 0.25);
  assert.equal(log.cases[0].forwards, Math.ceil(log.cases[0].windows / 3));
  assert.equal(await run(['-i', file, '-o', best, '-m', model, '--quiet', '--checkpoint', 'best']), 0);
  const b = await readNifti(join(best, 'single.nii'));
  assert.equal(mismatches(b.data as Uint8Array, expectedLabels(T_BEST)), 0, 'best checkpoint threshold');
});

test('predict: multi-channel nnU-Net naming, channels in order; a single channel file brings its siblings', async () => {
  const plan = basePlan({
    channels: [0, 1].map((c) => ({ name: `ch${c}`, scheme: 'none' as const, useMask: false, intensity: { mean: 0, std: 1, median: 0, min: 0, max: 40, percentile_00_5: 0, percentile_99_5: 40 }, foregroundPercentile005Normalized: 0 })),
    targetSpacing: [0.9, 0.8, 3], medianSpacing: [0.9, 0.8, 3], patchSize: [16, 16, 8],
  });
  const model = await makeModel('multi', plan, 1);
  const input = join(root, 'multi_in');
  mkdirSync(input);
  // channel 0: a ramp the other way (would give different labels), channel 1: the ramp
  writeInput(join(input, 'mc_0000.nii.gz'), (x, y, z) => (x >= 1 && y < 28 ? 30 - y : 0));
  writeInput(join(input, 'mc_0001.nii.gz'), ramp);
  const out = join(root, 'multi_out');
  assert.equal(await run(['-i', join(input, 'mc_0000.nii.gz'), '-o', out, '-m', model, '--quiet']), 0);
  const pred = await readNifti(join(out, 'mc.nii.gz'));
  assert.equal(mismatches(pred.data as Uint8Array, expectedLabels(T_FINAL)), 0);
});

test('predict: a case missing a channel is reported, the others written', async () => {
  const plan = basePlan({ channels: [0, 1].map((c) => ({ name: `ch${c}`, scheme: 'none' as const, useMask: false, intensity: { mean: 0, std: 1, median: 0, min: 0, max: 40, percentile_00_5: 0, percentile_99_5: 40 }, foregroundPercentile005Normalized: 0 })) });
  const model = await makeModel('missing', plan, 1);
  const input = join(root, 'missing_in');
  mkdirSync(input);
  for (const c of [0, 1]) writeInput(join(input, `full_000${c}.nii.gz`), ramp);
  writeInput(join(input, 'half_0000.nii.gz'), ramp);
  const out = join(root, 'missing_out');
  assert.equal(await run(['-i', input, '-o', out, '-m', model, '--quiet']), 1);
  const log = JSON.parse(readFileSync(join(out, 'predict_log.json'), 'utf8'));
  assert.deepEqual(log.cases.map((c: { id: string; status: string }) => [c.id, c.status]), [['full', 'ok'], ['half', 'failed']]);
  assert.match(log.cases[1].error, /missing channel file\(s\) half_0001/);
});

test('predict: a case whose prediction would not fit in memory is reported with what to change, not run', async () => {
  const model = await makeModel('memory', basePlan({}), 0);
  const input = join(root, 'memory_in');
  mkdirSync(input);
  writeInput(join(input, 'big.nii.gz'), ramp);
  const out = join(root, 'memory_out');
  const prev = process.env.PSPSEG_MEMORY;
  process.env.PSPSEG_MEMORY = '1k';
  try {
    assert.equal(await run(['-i', input, '-o', out, '-m', model, '--quiet']), 1);
  } finally {
    if (prev === undefined) delete process.env.PSPSEG_MEMORY; else process.env.PSPSEG_MEMORY = prev;
  }
  const log = JSON.parse(readFileSync(join(out, 'predict_log.json'), 'utf8'));
  assert.equal(log.cases[0].status, 'failed');
  assert.match(log.cases[0].error, /predicting big .* needs about .* of memory \(estimate\), but .* is available; use fewer windows per forward/);
  assert.ok(!existsSync(join(out, 'big.nii.gz')));
});

/** Runs `pspseg predict ARGV` and returns its exit code and what it printed. */
async function runCaptured(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [], err: string[] = [];
  const log = console.log, error = console.error;
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  console.error = (...a: unknown[]) => { err.push(a.join(' ')); };
  try { return { code: await run(argv), out, err }; } finally { console.log = log; console.error = error; }
}

test('predict: every case failed: the closing line says so (not "0.00 s per case"), exit 1; each reason names its case once', async () => {
  const model = await makeModel('allfail', basePlan({}), 0);
  const input = join(root, 'allfail_in');
  mkdirSync(input);
  // a two-channel 4D file for a one-channel model (fails in the preprocessing worker, where the pool
  // names its task), an unreadable file, and a case with a channel file too many (fails before)
  const [nx, ny, nz] = SHAPE;
  await writeNifti(join(input, 'fourd.nii.gz'), { shape: SHAPE, channels: 2, spacing: SPACING, affine: AFFINE, orientation: 'LIA', data: new Float32Array(2 * nx * ny * nz).fill(3), datatype: 'float32' });
  writeFileSync(join(input, 'broken_0000.nii.gz'), Buffer.from('not a NIfTI file'));
  for (const c of [0, 1]) writeInput(join(input, `extra_000${c}.nii.gz`), ramp);
  const out = join(root, 'allfail_out');
  const r = await runCaptured(['-i', input, '-o', out, '-m', model, '--quiet']);
  assert.equal(r.code, 1);
  assert.deepEqual(r.out, [], 'nothing on stdout: no "0/3 case(s) predicted ... (0.00 s per case)"');
  assert.equal(r.err[r.err.length - 1], `pspseg predict: every case (all 3) failed: no prediction written to ${out}; the reasons are above and in ${join(out, 'predict_log.json')}`);
  const skipped = r.err.slice(0, -1).sort();
  assert.equal(skipped.length, 3);
  assert.match(skipped[0]!, /^pspseg predict: broken skipped: preprocessing: \S+broken_0000\.nii\.gz: /);
  assert.match(skipped[1]!, /^pspseg predict: extra skipped: channel file\(s\) 1 beyond the model's 1 channel\(s\)$/);
  assert.equal(skipped[2]!, `pspseg predict: fourd skipped: preprocessing: 2 image channel(s) in ${join(input, 'fourd.nii.gz')}, 1 expected`);
  for (const line of skipped) assert.doesNotMatch(line, /skipped: case |case (\w+): case \1/, 'the id once, from the command');
  const log = JSON.parse(readFileSync(join(out, 'predict_log.json'), 'utf8'));
  assert.deepEqual(log.cases.map((c: { id: string; error: string }) => [c.id, c.error.startsWith(`case ${c.id}`)]), [['broken', false], ['extra', false], ['fourd', false]]);
  // one case ok: the usual line, on stdout
  const mixed = join(root, 'mixed_in');
  mkdirSync(mixed);
  writeInput(join(mixed, 'rampcase_0000.nii.gz'), ramp);
  writeFileSync(join(mixed, 'broken_0000.nii.gz'), Buffer.from('not a NIfTI file'));
  const m = await runCaptured(['-i', mixed, '-o', join(root, 'mixed_out'), '-m', model, '--quiet', '--no-tta']);
  assert.equal(m.code, 1);
  assert.match(m.out.join('\n'), /^1\/2 case\(s\) predicted into \S+ \([\d.]+ s per case, peak memory [\d.]+ MB\); 1 failed$/);
});

test('model folder: what it reads, and clear errors naming the file', async () => {
  const plan = basePlan({});
  const model = await makeModel('errors', plan, 0);
  await assert.rejects(loadModelFolder(model, 'latest', { builder: thresholdBuilder }),
    /checkpoint 'latest' not found \(available: checkpoint_best\.safetensors, checkpoint_final\.safetensors\)/);
  await assert.rejects(loadModelFolder(join(root, 'nowhere')), /model folder does not exist/);
  const m = await loadModelFolder(model, 'final', { builder: thresholdBuilder });
  assert.deepEqual(m.mirrorAxes, [0, 1, 2], "the trainer's augmentation mirrors every axis");
  assert.equal(m.numClasses, 2); assert.equal(m.inChannels, 1);
  assert.deepEqual(m.labels, [{ name: 'background', value: 0 }, { name: 'above', value: 1 }]);
  assert.equal(m.checkpoint.epoch, 3);
  assert.equal(m.planFile, join(root, 'errors', 'plan.json'));
  m.network.dispose();

  // src/models' networks by default: a threshold description is none of them
  await assert.rejects(loadModelFolder(model), (e: Error) => e.message.startsWith(join(model, 'architecture.json')) && /not a network description/.test(e.message));
  // the dataset planned again: the plan found is not the one the model trained with
  await savePlan(join(root, 'errors', 'plan.json'), { ...plan, targetSpacing: [1.5, 1, 1] });
  await assert.rejects(loadModelFolder(model, 'final', { builder: thresholdBuilder }), /the plan the model trained with \([0-9a-f]+\) is not found: .*plan\.json is plan [0-9a-f]+ \(was the dataset planned again\?\)/);
  // a config.json without the dataset's fields
  writeFileSync(join(model, 'config.json'), JSON.stringify({ name: 'm', fold: 0, valCases: [] }));
  await assert.rejects(loadModelFolder(model, 'final', { builder: thresholdBuilder }), (e: Error) => e.message.startsWith(join(model, 'config.json')) && /dataset: Required/.test(e.message));
});

test('predict options: numeric options are validated with errors naming the option', () => {
  const base = ['-i', 'in', '-o', 'out', '-m', 'model'];
  assert.equal(parsePredictArgs([...base])!.step, 0.5);
  assert.equal(parsePredictArgs([...base, '--step', '1'])!.step, 1);
  for (const bad of ['0', '1.5', '-0.5', 'abc', '']) assert.throws(() => parsePredictArgs([...base, `--step=${bad}`]), /--step must be a number in \(0, 1\]/);
  for (const bad of ['0', '1.5', 'x']) assert.throws(() => parsePredictArgs([...base, '--batch', bad]), /--batch must be an integer >= 1/);
  assert.throws(() => parsePredictArgs([...base, '--checkpoint', 'newest']), /--checkpoint must be one of final, best, latest/);
  assert.throws(() => parsePredictArgs([...base, '--device', 'tpu']), /--device must be cpu, cuda or cuda:N/);
  assert.throws(() => parsePredictArgs([...base, '--precision', 'fp16']), /--precision fp16 needs CUDA/);
  assert.throws(() => parsePredictArgs([...base, '--precision', 'half']), /--precision must be one of auto, fp32, bf16, fp16/);
  assert.equal(parsePredictArgs([...base, '--precision', 'bf16'])!.precision, 'bf16');
  assert.equal(parsePredictArgs([...base, '--precision', 'fp16', '--device', 'cuda'])!.precision, 'fp16');
  assert.throws(() => parsePredictArgs(['-i', 'in', '-o', 'out']), /-m\/--model is required/);
  assert.equal(parsePredictArgs(['--help']), null);
  const o = parsePredictArgs([...base, '-i', 'in2', '--no-tta', '--save-probabilities', '--checkpoint', 'best', '--device', 'cuda:1'])!;
  assert.equal(o.inputs.length, 2); assert.equal(o.tta, false); assert.equal(o.saveProbabilities, true);
  assert.equal(o.checkpoint, 'best'); assert.equal(o.device, 'cuda:1');
});
