/**
 * The compact model outside libtorch: a PSP-Seg S trained for a few steps is exported with
 * `pspseg export`; `pspseg predict -m model.onnx` runs in a process where the libtorch addon cannot load
 * (PSPSEG_ADDON names no file; the fold folder's prediction fails there, which proves it) and its labels
 * agree with the libtorch prediction on >= 99.99% of voxels; segmentVolumes, the browser app's path,
 * gives the same labels in memory; bad model files get messages that name them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { readNifti } from '../src/io/nifti.js';
import { exportCommand } from '../src/cli/commands/export.js';
import { predict } from '../src/cli/commands/predict.js';
import { readDeployedModel } from '../src/infer/deployed_model.js';
import { onnxWindowForward } from '../src/infer/onnx_forward.js';
import { segmentVolumes } from '../src/infer/segment.js';
import { encodeOnnxModel } from '../src/io/onnx_file.js';
import { loadModelFolder } from '../src/infer/model_folder.js';
import { runTraining } from '../src/train/run.js';
import { repoRoot, tempDir } from './helpers.js';
import { hippocampusSubset } from './helpers/train_data.js';
import { requireData } from './helpers/shared_data.js';

const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

function agreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

test('export -> predict -m model.onnx without libtorch: the same labels as the fold folder on libtorch; segmentVolumes too', async (t) => {
  requireData();
  const workDir = await hippocampusSubset(10);
  const datasetDir = join(workDir, '..', '..', 'Hippocampus10');
  const run = await runTraining({
    workDir, print: () => {},
    options: { arch: 'psp', name: 'onnx', epochs: 2, iterations: 4, 'val-iterations': 1, batch: 2, patch: [32, 48, 32], seed: 0, workers: 1, quiet: true },
  });
  const out = tempDir(t, 'pspseg-onnx-predict-');
  const model = join(out, 'new', 'folder', 'model.onnx'); // export makes the folders
  assert.equal(await exportCommand.run([run.outDir, '-o', model]), 0);

  const deployed = readDeployedModel(readFileSync(model), model);
  const loaded = await loadModelFolder(run.outDir, 'final');
  assert.equal(deployed.info.network.parameters, loaded.network.numParameters());
  assert.deepEqual(deployed.info.labels, loaded.labels);
  assert.deepEqual(deployed.info.patchSize, [32, 48, 32]);
  assert.deepEqual(deployed.info.valCases, run.config.valCases);
  assert.deepEqual(deployed.plan, loaded.plan, 'the plan travels in the file');
  loaded.network.dispose();

  const images = join(datasetDir, 'imagesTr');
  const torchOut = join(out, 'libtorch'), onnxOut = join(out, 'onnx');
  assert.equal(await predict.run(['-i', images, '-o', torchOut, '-m', run.outDir, '--val', '--quiet']), 0);
  const noAddon = { ...process.env, PSPSEG_ADDON: join(out, 'no-such-addon.node') };
  const folderRun = spawnSync(process.execPath, [cli, 'predict', '-i', images, '-o', join(out, 'never'), '-m', run.outDir, '--val', '--quiet'], { env: noAddon, encoding: 'utf8' });
  assert.notEqual(folderRun.status, 0, 'the addon is unloadable in that environment');
  assert.match(folderRun.stderr, /PSPSEG_ADDON/);
  const onnxRun = spawnSync(process.execPath, [cli, 'predict', '-i', images, '-o', onnxOut, '-m', model, '--val', '--quiet'], { env: noAddon, encoding: 'utf8' });
  assert.equal(onnxRun.status, 0, onnxRun.stderr);
  assert.match(JSON.parse(readFileSync(join(onnxOut, 'predict_log.json'), 'utf8')).backend, /^onnxruntime-node cpu/);

  const session = await ort.InferenceSession.create(deployed.bytes);
  const forward = onnxWindowForward(ort, session, 'onnxruntime-node');
  for (const id of run.config.valCases) {
    const [a, b] = await Promise.all([readNifti(join(torchOut, `${id}.nii.gz`)), readNifti(join(onnxOut, `${id}.nii.gz`))]);
    const agree = agreement(a.data as Uint8Array, b.data as Uint8Array);
    assert.ok(agree >= 0.9999, `${id}: onnxruntime and libtorch agree on ${(100 * agree).toFixed(4)}% of voxels`);
    assert.deepEqual(b.affine, a.affine);
    const input = join(images, `${id}.nii.gz`);
    const seg = await segmentVolumes({ id, volumes: [await readNifti(input)], names: [input] }, deployed, forward);
    assert.deepEqual(seg.label.shape, b.shape);
    assert.equal(agreement(seg.label.data as Uint8Array, b.data as Uint8Array), 1, `${id}: segmentVolumes equals pspseg predict -m model.onnx`);
  }
  await session.release();

  // --precision: the fold folder's forward under autocast (labels within bfloat16's rounding of fp32's); a
  // .onnx file runs in fp32 only, and says so
  const bf16Out = join(out, 'bf16');
  assert.equal(await predict.run(['-i', images, '-o', bf16Out, '-m', run.outDir, '--val', '--quiet', '--precision', 'bf16']), 0);
  assert.match(JSON.parse(readFileSync(join(bf16Out, 'predict_log.json'), 'utf8')).backend, /^libtorch cpu bf16/);
  for (const id of run.config.valCases) {
    const [a, b] = await Promise.all([readNifti(join(torchOut, `${id}.nii.gz`)), readNifti(join(bf16Out, `${id}.nii.gz`))]);
    const agree = agreement(a.data as Uint8Array, b.data as Uint8Array);
    assert.ok(agree >= 0.99 && agree < 1 + 1e-12, `${id}: bf16 and fp32 labels agree on ${(100 * agree).toFixed(4)}% of voxels`);
  }
  const onnxBf16 = spawnSync(process.execPath, [cli, 'predict', '-i', images, '-o', join(out, 'never2'), '-m', model, '--precision', 'bf16', '--quiet'], { encoding: 'utf8' });
  assert.notEqual(onnxBf16.status, 0);
  assert.match(onnxBf16.stderr + onnxBf16.stdout, /--precision bf16: a model file \(\.onnx\) runs in fp32/);
});

test('model files that are not pspseg\'s: messages name the file and say what to do', async (t) => {
  const dir = tempDir(t, 'pspseg-onnx-bad-');
  const junk = join(dir, 'junk.onnx');
  writeFileSync(junk, Buffer.from('this is not a protobuf model \u00ff\u00fe'));
  assert.throws(() => readDeployedModel(readFileSync(junk), junk), new RegExp(`${junk}: not an ONNX model file`));
  const foreign = encodeOnnxModel({ graph: { name: 'g', nodes: [], initializers: [], inputs: [], outputs: [] }, producerVersion: 'x', metadata: {} });
  assert.throws(() => readDeployedModel(foreign, 'other.onnx'), /other\.onnx: an ONNX model without pspseg's description .*'pspseg export'/);
  const broken = encodeOnnxModel({ graph: { name: 'g', nodes: [], initializers: [], inputs: [], outputs: [] }, producerVersion: 'x', metadata: { pspseg: '{"format":"pspseg-onnx-model","version":1}' } });
  assert.throws(() => readDeployedModel(broken, 'b.onnx'), /b\.onnx: metadata 'pspseg': pspsegVersion: Required/);
  const r = spawnSync(process.execPath, [cli, 'predict', '-i', dir, '-o', join(dir, 'out'), '-m', join(dir, 'missing.onnx')], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /missing\.onnx: cannot read the model: /);
});
