/**
 * Sliding-window geometry against nnU-Net v2 (fixture from scripts/make_infer_fixtures.py: scipy's
 * gaussian_filter on a delta, compute_steps_for_sliding_window, pad_nd_image), the mirroring
 * combinations, and the float16 / .npz writers against libtorch and a zip reader.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inflateRawSync } from 'node:zlib';
import { assertClose, readFixture } from './helpers.js';
import type { Shape3 } from '../src/util/triple.js';
import { gaussianImportanceMap } from '../src/infer/gaussian.js';
import { computeSteps, mirrorCombinations, paddingFor, windowStarts } from '../src/infer/sliding_window.js';
import { fromHalfBits, toFloat16 } from '../src/util/float16.js';
import { encodeNpz } from '../src/infer/npz.js';
import { crc32 } from '../src/util/crc32.js';
import { tensor, tidy } from '../src/tensor/index.js';
import { parseNpy } from './helpers/npy.js';

interface Reference {
  gaussians: { patch: Shape3; values: number[] }[];
  largeGaussian: { patch: Shape3; sum: number; line0: number[]; line1: number[]; line2: number[]; diagonal: number[]; corner: number; min: number };
  steps: { image: number[]; patch: number[]; step: number; steps: number[][] }[];
  padding: { shape: Shape3; patch: Shape3; before: number[]; after: number[] }[];
}
const ref = readFixture<Reference>('infer_reference.json');

test('Gaussian importance map equals nnU-Net compute_gaussian (scipy gaussian_filter on a delta, max 10)', () => {
  for (const g of ref.gaussians) {
    const ours = gaussianImportanceMap(g.patch);
    assertClose(ours, g.values, { rtol: 1e-6, atol: 0 }, `patch ${g.patch}`);
    assert.equal(Math.max(...ours), 10);
  }
  const L = ref.largeGaussian, p = L.patch;
  const ours = gaussianImportanceMap(p);
  const at = (a: number, b: number, c: number): number => ours[(a * p[1] + b) * p[2] + c]!;
  const c = p.map((n) => Math.floor(n / 2));
  assertClose(Array.from({ length: p[0] }, (_, i) => at(i, c[1]!, c[2]!)), L.line0, { rtol: 1e-6, atol: 0 }, 'axis 0');
  assertClose(Array.from({ length: p[1] }, (_, i) => at(c[0]!, i, c[2]!)), L.line1, { rtol: 1e-6, atol: 0 }, 'axis 1');
  assertClose(Array.from({ length: p[2] }, (_, i) => at(c[0]!, c[1]!, i)), L.line2, { rtol: 1e-6, atol: 0 }, 'axis 2');
  assertClose(Array.from({ length: 40 }, (_, i) => at(Math.floor(i * p[0] / 40), Math.floor(i * p[1] / 40), Math.floor(i * p[2] / 40))), L.diagonal, { rtol: 1e-6, atol: 0 }, 'diagonal');
  assertClose([at(0, 0, 0), Math.min(...ours)], [L.corner, L.min], { rtol: 1e-5, atol: 0 }, 'corner');
  assertClose([ours.reduce((s, v) => s + v, 0)], [L.sum], { rtol: 1e-6, atol: 0 }, 'sum');
});

test('window start positions equal nnU-Net compute_steps_for_sliding_window', () => {
  for (const s of ref.steps) assert.deepEqual(computeSteps(s.image, s.patch, s.step), s.steps, `image ${s.image} patch ${s.patch} step ${s.step}`);
  assert.throws(() => computeSteps([10], [16], 0.5), /smaller than the patch/);
  assert.throws(() => computeSteps([20], [16], 0), /\(0, 1\]/);
  assert.throws(() => computeSteps([20], [16], 1.5), /\(0, 1\]/);
});

test('padding of images smaller than the patch equals pad_nd_image; windows cover the padded image', () => {
  for (const r of ref.padding) {
    const p = paddingFor(r.shape, r.patch);
    assert.deepEqual(p.before, r.before, `${r.shape} / ${r.patch}`);
    assert.deepEqual(p.after, r.after, `${r.shape} / ${r.patch}`);
    const starts = windowStarts(p.shape, r.patch, 0.5);
    // every voxel lies in some window, and windows stay inside the padded image
    for (let a = 0; a < 3; a++) {
      const covered = new Uint8Array(p.shape[a]!);
      for (const s of starts) {
        assert.ok(s[a]! >= 0 && s[a]! + r.patch[a]! <= p.shape[a]!);
        covered.fill(1, s[a]!, s[a]! + r.patch[a]!);
      }
      assert.ok(covered.every((v) => v === 1), `axis ${a} covered`);
    }
  }
});

test('mirroring: no flip plus every combination of the allowed axes, in itertools order', () => {
  assert.deepEqual(mirrorCombinations([0, 1, 2]), [[], [0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]]);
  assert.deepEqual(mirrorCombinations([1, 2]), [[], [1], [2], [1, 2]]);
  assert.deepEqual(mirrorCombinations([]), [[]]);
});

test('float16 conversion rounds as libtorch does (normal, subnormal, ties, overflow)', () => {
  const values = new Float32Array([0, -0, 1, -1, 0.1, 1 / 3, 65504, 65520, 70000, 1e-8, 6e-8, 3e-8, 2.98e-8, 1e-5, 6.1e-5, 0.999, 1.0009765625, 1.00146484375,
    2049, 2051, Infinity, -Infinity, 3.14159, -123.456]);
  const mine = toFloat16(values);
  const torchBits = tidy(() => new Uint16Array(tensor(values).to('float16').toBytes().buffer));
  assert.deepEqual(Array.from(mine), Array.from(torchBits));
  assert.ok(Number.isNaN(fromHalfBits(toFloat16(new Float32Array([NaN]))[0]!)));
  for (let i = 0; i < values.length; i++) {
    const back = fromHalfBits(mine[i]!);
    if (Number.isFinite(values[i]!) && Math.abs(values[i]!) < 65504) assert.ok(Math.abs(back - values[i]!) <= Math.abs(values[i]!) * 2 ** -11 + 2 ** -25, `${values[i]} -> ${back}`);
  }
});

/** A minimal zip reader: local headers only (what the writer produced), checked against the central directory. */
function readZip(bytes: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const end = bytes.length - 22;
  assert.equal(bytes.readUInt32LE(end), 0x06054b50);
  const count = bytes.readUInt16LE(end + 10), cdOffset = bytes.readUInt32LE(end + 16);
  let cd = cdOffset;
  for (let k = 0; k < count; k++) {
    assert.equal(bytes.readUInt32LE(cd), 0x02014b50);
    const method = bytes.readUInt16LE(cd + 10), crc = bytes.readUInt32LE(cd + 16), csize = bytes.readUInt32LE(cd + 20), usize = bytes.readUInt32LE(cd + 24);
    const nameLen = bytes.readUInt16LE(cd + 28), local = bytes.readUInt32LE(cd + 42);
    const name = bytes.subarray(cd + 46, cd + 46 + nameLen).toString('utf8');
    assert.equal(bytes.readUInt32LE(local), 0x04034b50);
    const start = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const body = bytes.subarray(start, start + csize);
    const data = method === 8 ? inflateRawSync(body) : Buffer.from(body);
    assert.equal(data.length, usize);
    assert.equal(crc32(data), crc);
    out.set(name, data);
    cd += 46 + nameLen;
  }
  return out;
}

test('.npz: a zip with a float16 .npy member, deflated or stored, CRCs right', async () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926); // the CRC-32 check value
  const values = new Float32Array(2 * 3 * 4 * 5).map((_, i) => Math.sin(i) * 3);
  const half = toFloat16(values);
  for (const compress of [true, false]) {
    const bytes = Buffer.concat(await encodeNpz([{ name: 'probabilities', descr: '<f2', shape: [2, 3, 4, 5], data: new Uint8Array(half.buffer) }], compress));
    const files = readZip(bytes);
    assert.deepEqual([...files.keys()], ['probabilities.npy']);
    const npy = parseNpy(files.get('probabilities.npy')!);
    assert.equal(npy.descr, '<f2');
    assert.deepEqual(npy.shape, [2, 3, 4, 5]);
    const back = new Uint16Array(npy.data.buffer.slice(npy.data.byteOffset, npy.data.byteOffset + npy.data.byteLength));
    assert.deepEqual(Array.from(back), Array.from(half));
  }
});
