/**
 * ONNX export against independent references: onnxruntime-node's logits equal our libtorch network's
 * (max abs difference <= 1e-4) for PSP-Seg S, B and L, a pruned S (blocks deleted and masked), the small
 * U-Net and an anisotropic PlainUNet, on random input and on real hippocampus windows, at batch 1 and 2
 * through the symbolic sizes; the file passes ONNX 1.12's checker (full_check); float16 weights and the
 * self-description round-trip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { dataRoot, tempDir } from './helpers.js';
import { Generator, type Tensor, inferenceMode, noGrad, randn, tensor, tidy } from '../src/tensor/index.js';
import type { AnyModule } from '../src/nn/index.js';
import { buildNetwork, pspArchitecture } from '../src/models/index.js';
import { PSPSegNet } from '../src/models/psp_seg_net.js';
import { SmallUNet } from '../src/models/small_unet.js';
import { plainArchitecture, plainTopology } from '../src/models/plain_topology.js';
import { deleteBlocks, maskBlocks } from '../src/pruning/index.js';
import { encodeOnnxModel, readOnnxModelSummary } from '../src/io/onnx_file.js';
import { networkGraph } from '../src/infer/onnx_export.js';
import { readNifti } from '../src/io/nifti.js';
import type { Shape3 } from '../src/util/triple.js';

/** Weights that exercise every parameter: PRM weights start at 0 and biases at 0, which would hide a missing branch or bias. */
function randomizeSmallParameters(net: AnyModule, seed: number): void {
  const g = new Generator(seed);
  noGrad(() => {
    for (const [name, p] of net.namedParameters()) {
      if (name.endsWith('.scale') || name.endsWith('.bias')) tidy(() => { p.copy_(randn([...p.shape], { generator: g }).mul(0.2)); });
    }
  });
}

function torchLogits(net: AnyModule, x: Float32Array, dims: number[]): Float32Array {
  net.eval();
  return inferenceMode(() => tidy(() => (net.forward(tensor(x, dims)) as { logits: Tensor[] }).logits[0]!.toTypedArray<'float32'>()));
}

async function onnxLogits(bytes: Uint8Array, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  try {
    const out = await session.run({ image: new ort.Tensor('float32', x, dims) });
    return out.logits!.data as Float32Array;
  } finally { await session.release(); }
}

function modelBytes(net: AnyModule, inChannels: number, classes: number, halfWeights = false): Uint8Array {
  const { graph } = networkGraph(net, inChannels, classes, { halfWeights });
  return encodeOnnxModel({ graph, producerVersion: 'test', metadata: { note: 'test' } });
}

function randomInput(dims: number[], seed: number): Float32Array {
  return randn(dims, { generator: new Generator(seed) }).toTypedArray<'float32'>();
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length, 'same number of logits');
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/**
 * A z-scored window of a real hippocampus MRI (C-order [z, y, x]), the image repeated where it is smaller
 * than the window (zeros there would leave deep instance norms a constant region to normalise, where
 * any two engines differ by their rounding amplified).
 */
async function hippocampusWindow(patch: Shape3): Promise<Float32Array> {
  const v = await readNifti(join(dataRoot, 'Task04_Hippocampus', 'imagesTr', 'hippocampus_367.nii.gz'));
  const [nx, ny, nz] = v.shape, data = Float32Array.from(v.data as ArrayLike<number>);
  const mean = data.reduce((s, x) => s + x, 0) / data.length;
  const std = Math.sqrt(data.reduce((s, x) => s + (x - mean) ** 2, 0) / data.length);
  const out = new Float32Array(patch[0] * patch[1] * patch[2]);
  for (let z = 0; z < patch[0]; z++) for (let y = 0; y < patch[1]; y++) for (let x = 0; x < patch[2]; x++) {
    out[(z * patch[1] + y) * patch[2] + x] = (data[((z % nz) * ny + (y % ny)) * nx + (x % nx)]! - mean) / std;
  }
  return out;
}

const TOLERANCE = 1e-4;

async function assertSameLogits(name: string, net: AnyModule, inChannels: number, classes: number, patch: Shape3, real?: Float32Array): Promise<Uint8Array> {
  const bytes = modelBytes(net, inChannels, classes);
  for (const batch of [1, 2]) {
    const dims = [batch, inChannels, ...patch];
    const x = randomInput(dims, batch * 17);
    const diff = maxAbsDiff(await onnxLogits(bytes, x, dims), torchLogits(net, x, dims));
    assert.ok(diff <= TOLERANCE, `${name}, batch ${batch}, random input: max abs difference ${diff}`);
  }
  if (real) {
    const dims = [1, inChannels, ...patch];
    const diff = maxAbsDiff(await onnxLogits(bytes, real, dims), torchLogits(net, real, dims));
    assert.ok(diff <= TOLERANCE, `${name}, hippocampus window: max abs difference ${diff}`);
  }
  return bytes;
}

test('PSP-Seg S, B and L: onnxruntime-node equals libtorch within 1e-4 (random input, batch 1 and 2; a real hippocampus window)', async () => {
  for (const variant of ['S', 'B', 'L'] as const) {
    const net = buildNetwork(pspArchitecture({ variant, classes: 3 }), { generator: new Generator(1) });
    randomizeSmallParameters(net, 2);
    // a multiple of the total stride (16 for S, 32 for B and L) that leaves the bottleneck more than one voxel to normalise
    const patch: Shape3 = variant === 'S' ? [32, 48, 32] : [64, 64, 64];
    await assertSameLogits(`PSP-Seg ${variant}`, net, 1, 3, patch, await hippocampusWindow(patch));
    net.dispose();
  }
});

test('a pruned PSP-Seg S (deleted and masked blocks, one PRM reduced to the identity) exports only what runs, and equals libtorch', async () => {
  const net = buildNetwork(pspArchitecture({ variant: 'S', classes: 3 }), { generator: new Generator(3) }) as PSPSegNet;
  randomizeSmallParameters(net, 4);
  deleteBlocks(net, [{ module: 'enc1', block: 1 }, { module: 'dec2', block: 0 }, ...[0, 1, 2, 3].map((block) => ({ module: 'enc3', block }))], null);
  maskBlocks(net, [{ module: 'enc2', block: 2 }, { module: 'dec1', block: 3 }]);
  const patch: Shape3 = [32, 48, 32];
  const bytes = await assertSameLogits('pruned S', net, 1, 3, patch, await hippocampusWindow(patch));
  // the masked blocks' weights are not in the file, the active ones' are
  const text = Buffer.from(bytes).toString('latin1');
  assert.ok(!text.includes('enc2.b2.conv.weight') && !text.includes('dec1.b3.reduce.weight'), 'masked blocks left out');
  assert.ok(text.includes('enc2.b1.conv.weight') && text.includes('dec1.b2.reduce.weight'), 'active blocks kept');
  net.dispose();
});

test('the small U-Net and an anisotropic PlainUNet (3-D ConvTranspose, concatenated skips) equal libtorch within 1e-4', async () => {
  const small = new SmallUNet(2, 3, new Generator(5));
  randomizeSmallParameters(small, 6);
  await assertSameLogits('small U-Net', small, 2, 3, [16, 24, 16]);
  small.dispose();
  const topology = plainTopology([3, 0.8, 0.8], [16, 64, 48], { maxFeatures: 64 });
  const plain = buildNetwork(plainArchitecture(topology, { inChannels: 1, classes: 2 }), { generator: new Generator(7) });
  randomizeSmallParameters(plain, 8);
  await assertSameLogits(`PlainUNet (strides ${JSON.stringify(topology.strides)})`, plain, 1, 2, [16, 64, 48]);
  plain.dispose();
});

test('float16 weights: half the file, float32 compute, logits within float16 rounding of libtorch', async () => {
  const net = buildNetwork(pspArchitecture({ variant: 'S', classes: 2 }), { generator: new Generator(9) });
  randomizeSmallParameters(net, 10);
  const full = modelBytes(net, 1, 2), half = modelBytes(net, 1, 2, true);
  assert.ok(half.length < 0.55 * full.length, `float16 file ${half.length} B vs float32 ${full.length} B`);
  const dims = [1, 1, 32, 48, 32], x = randomInput(dims, 11);
  const ref = torchLogits(net, x, dims);
  const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const diff = maxAbsDiff(await onnxLogits(half, x, dims), ref);
  assert.ok(diff > 0 && diff < 0.02 * scale, `float16 weights: max abs difference ${diff} (logits up to ${scale})`);
  net.dispose();
});

test('exported files pass ONNX 1.12\'s checker with full_check and declare opset 17, IR 8, symbolic sizes', async (t) => {
  const python = '/usr/bin/python3';
  if (spawnSync(python, ['-c', 'import onnx'], { stdio: 'ignore' }).status !== 0) { t.skip('python3-onnx is not installed (npm test installs it)'); return; }
  const dir = tempDir(t, 'pspseg-onnx-check-');
  const files: string[] = [];
  const psp = buildNetwork(pspArchitecture({ variant: 'S', classes: 3 }), { generator: new Generator(12) });
  maskBlocks(psp as PSPSegNet, [{ module: 'enc1', block: 0 }]);
  const plain = buildNetwork(plainArchitecture(plainTopology([1, 1, 1], [32, 32, 32], { maxFeatures: 64 }), { inChannels: 2, classes: 2 }));
  for (const [name, bytes] of [['psp', modelBytes(psp, 1, 3)], ['psp_fp16', modelBytes(psp, 1, 3, true)], ['plain', modelBytes(plain, 2, 2)]] as const) {
    const file = join(dir, `${name}.onnx`);
    writeFileSync(file, bytes);
    files.push(file);
    const summary = readOnnxModelSummary(bytes, file);
    assert.equal(summary.opset, 17);
    assert.deepEqual(summary.inputs[0]!.dims.filter((d) => typeof d === 'string'), ['batch', 'depth', 'height', 'width']);
  }
  psp.dispose(); plain.dispose();
  const out = execFileSync(python, ['-c', `
import sys, onnx
for f in sys.argv[1:]:
    m = onnx.load(f)
    onnx.checker.check_model(m, full_check=True)
    print(f, m.ir_version, m.opset_import[0].version)
`, ...files], { encoding: 'utf8' });
  assert.equal(out.trim().split('\n').length, files.length, out);
  assert.ok(out.trim().split('\n').every((l) => l.endsWith(' 8 17')), out);
});
