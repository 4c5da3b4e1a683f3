/**
 * NIfTI reading and writing: real files against nibabel's reference values
 * (scripts/make_nifti_fixtures.py -> test/fixtures/nifti_reference.json), round trips for every
 * datatype, geometry written to the header, and the errors bad files raise.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  NiftiError, readNifti, readNiftiSync, writeNifti, writeNiftiSync,
} from '../src/io/nifti.js';
import { orientationCodes } from '../src/io/orientation.js';
import type { Volume, VoxelArray, VoxelDatatype } from '../src/io/volume.js';
import { VOXEL_DATATYPES } from '../src/io/voxel_types.js';
import { DATA_DIR, FIXTURES_DIR, requireData } from './helpers/shared_data.js';

interface Reference {
  shape: number[]; dtype: string; version: number; affine: number[][]; zooms: number[]; axcodes: string;
  indices: number[][]; values: number[]; sum: number; mean: number; unique?: number[];
}
const reference = JSON.parse(readFileSync(join(FIXTURES_DIR, 'nifti_reference.json'), 'utf8')) as
  { data: Record<string, Reference>; fixtures: Record<string, Reference> };

const tmp = mkdtempSync(join(tmpdir(), 'pspseg-nifti-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function close(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
}

function closeMatrix(actual: number[][], expected: number[][], tol: number, what: string): void {
  expected.forEach((row, r) => row.forEach((v, c) => close(actual[r]![c]!, v, tol, `${what}[${r}][${c}]`)));
}

function voxel(vol: Volume, idx: number[]): number {
  const [nx, ny, nz] = vol.shape;
  return Number(vol.data[idx[0]! + nx * (idx[1]! + ny * (idx[2]! + nz * (idx[3] ?? 0)))]);
}

function compareWithReference(vol: Volume, ref: Reference, name: string): void {
  assert.deepEqual([...vol.shape, ...(vol.channels > 1 ? [vol.channels] : [])], ref.shape, `${name} shape`);
  assert.equal(vol.datatype, ref.dtype, `${name} datatype`);
  assert.equal(vol.header?.version, ref.version, `${name} NIfTI version`);
  assert.equal(vol.orientation, ref.axcodes, `${name} orientation`);
  closeMatrix(vol.affine, ref.affine, 1e-6, `${name} affine`);
  vol.spacing.forEach((s, i) => close(s, ref.zooms[i]!, 1e-7, `${name} spacing[${i}]`));
  ref.indices.forEach((idx, k) => close(voxel(vol, idx), ref.values[k]!, 1e-6, `${name} voxel [${idx}]`));
  let sum = 0;
  let finite = 0;
  const seen = new Set<number>();
  for (let i = 0; i < vol.data.length; i++) {
    const v = Number(vol.data[i]);
    if (!Number.isFinite(v)) continue;
    sum += v; finite++;
    if (ref.unique && seen.size <= 16) seen.add(v);
  }
  close(sum, ref.sum, 1e-9, `${name} sum`);
  close(sum / finite, ref.mean, 1e-9, `${name} mean`);
  if (ref.unique) assert.deepEqual([...seen].sort((a, b) => a - b), ref.unique.map((u) => Number(u)), `${name} unique values`);
}

describe('reading real files matches nibabel', () => {
  requireData();
  for (const [name, ref] of Object.entries(reference.data)) {
    test(name, async () => compareWithReference(await readNifti(join(DATA_DIR, name)), ref, name));
  }
  for (const [name, ref] of Object.entries(reference.fixtures)) {
    test(`fixture ${name}`, async () => compareWithReference(await readNifti(join(FIXTURES_DIR, name)), ref, name));
  }

  test('scaled int32 data becomes float64, scaled int16 float32; raw types are kept otherwise', async () => {
    const mask = await readNifti(join(DATA_DIR, 'samples/brats2015/brats_2013_pat0005_1/brainmask.nii.gz'));
    assert.ok(mask.data instanceof Float64Array);
    assert.equal(mask.datatype, 'int32');
    const be = await readNifti(join(FIXTURES_DIR, 'nifti2_be_scaled.nii.gz'));
    assert.ok(be.data instanceof Float32Array);
    assert.equal(be.header?.littleEndian, false);
    const t1 = await readNifti(join(DATA_DIR, 'samples/spinalcord/t1/t1w.nii.gz'));
    assert.ok(t1.data instanceof Int16Array);
    const big = await readNifti(join(FIXTURES_DIR, 'nifti1_int64.nii'));
    assert.ok(big.data instanceof BigInt64Array);
  });

  test('sync and async readers agree', async () => {
    const path = join(DATA_DIR, 'samples/spinalcord/t2/t2.nii.gz');
    const a = await readNifti(path);
    const b = readNiftiSync(path);
    assert.deepEqual(b.data, a.data);
    assert.deepEqual(b.affine, a.affine);
  });

  test('voxel data owns its buffer (no header bytes, no pooled memory)', async () => {
    const vol = await readNifti(join(DATA_DIR, 'samples/spinalcord/t2s/t2s_seg.nii.gz'));
    assert.equal(vol.data.byteOffset, 0);
    assert.equal(vol.data.buffer.byteLength, vol.data.byteLength);
  });
});

describe('orientation codes', () => {
  const affine = (m: number[][]): number[][] => [...m.map((r) => [...r, 0]), [0, 0, 0, 1]];
  test('axis-aligned', () => {
    assert.equal(orientationCodes(affine([[1, 0, 0], [0, 1, 0], [0, 0, 1]])), 'RAS');
    assert.equal(orientationCodes(affine([[-1, 0, 0], [0, -1, 0], [0, 0, 1]])), 'LPS');
    assert.equal(orientationCodes(affine([[0, 0, 1], [-1, 0, 0], [0, 1, 0]])), 'PSR');
    assert.equal(orientationCodes(affine([[0, 0, -3], [0, 2, 0], [0.5, 0, 0]])), 'SAL');
  });
  test('oblique axes go to the nearest world axis, each used once', () => {
    const c = Math.cos(0.6), s = Math.sin(0.6); // 34 degrees about z
    assert.equal(orientationCodes(affine([[c, -s, 0], [s, c, 0], [0, 0, 1]])), 'RAS');
    const d = Math.SQRT1_2; // 45 degrees: the first voxel axis claims R, the second must take A
    assert.equal(orientationCodes(affine([[d, -d, 0], [d, d, 0], [0, 0, 1]])), 'RAS');
  });
});

/** A volume whose values span the datatype's range, on a float32-exact oblique-free affine. */
function writeThenPath(path: string, v: Volume): string {
  writeNiftiSync(path, v);
  return path;
}

function syntheticVolume(datatype: VoxelDatatype, channels: number): Volume {
  const shape: [number, number, number] = [5, 4, 3];
  const n = shape[0] * shape[1] * shape[2] * channels;
  const Ctor = { uint8: Uint8Array, int8: Int8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array,
    uint32: Uint32Array, int64: BigInt64Array, float32: Float32Array, float64: Float64Array }[datatype];
  const data = new Ctor(n) as VoxelArray;
  const extremes: Record<VoxelDatatype, number[]> = {
    uint8: [0, 255], int8: [-128, 127], int16: [-32768, 32767], uint16: [0, 65535], int32: [-2147483648, 2147483647],
    uint32: [0, 4294967295], int64: [], float32: [-3.4e38, 1.5e-45, Math.fround(0.1)], float64: [-1.7e308, 5e-324, 0.1],
  };
  for (let i = 0; i < n; i++) {
    if (data instanceof BigInt64Array) data[i] = BigInt(i * 7919 - 200) * 1234567890123n;
    else data[i] = datatype.startsWith('float') ? (i - 30) * 1.375 : (i * 37) % 120;
  }
  if (data instanceof BigInt64Array) { data[0] = -(2n ** 63n); data[1] = 2n ** 63n - 1n; }
  else extremes[datatype].forEach((v, i) => { data[i] = v; });
  return {
    shape, channels, spacing: [0.75, 1.5, 3], orientation: 'LAS', datatype, data,
    affine: [[-0.75, 0, 0, 10.5], [0, 1.5, 0, -20.25], [0, 0, 3, 7], [0, 0, 0, 1]],
  };
}

describe('write/read round trips', () => {
  for (const datatype of VOXEL_DATATYPES) {
    for (const channels of [1, 3]) {
      for (const ext of ['.nii', '.nii.gz']) {
        test(`${datatype} ${channels > 1 ? '4D' : '3D'} ${ext}`, async () => {
          const vol = syntheticVolume(datatype, channels);
          const path = join(tmp, `rt_${datatype}_${channels}${ext}`);
          await writeNifti(path, vol);
          const back = await readNifti(path);
          assert.equal(back.datatype, datatype);
          assert.deepEqual(back.data, vol.data);
          assert.deepEqual(back.affine, vol.affine);
          assert.deepEqual(back.spacing, vol.spacing);
          assert.deepEqual(back.shape, vol.shape);
          assert.equal(back.channels, channels);
          assert.equal(back.orientation, 'LAS');
          const gz = readFileSync(path);
          assert.equal(gz[0] === 0x1f && gz[1] === 0x8b, ext === '.nii.gz', 'gzip only for .gz paths');
        });
      }
    }
  }

  test('NIfTI-2 output (doubles keep an arbitrary affine exactly)', async () => {
    const vol = syntheticVolume('float64', 2);
    vol.affine = [[0.1, 0.2, 0, 1 / 3], [-0.2, 0.1, 0, 0.7], [0, 0, 3, -1e-3], [0, 0, 0, 1]];
    vol.spacing = [Math.hypot(0.1, 0.2), Math.hypot(0.2, 0.1), 3];
    const path = join(tmp, 'v2.nii.gz');
    writeNiftiSync(path, vol, { format: 'nifti2' });
    const back = readNiftiSync(path);
    assert.equal(back.header?.version, 2);
    assert.deepEqual(back.affine, vol.affine);
    assert.deepEqual(back.data, vol.data);
  });

  const realFiles = [
    'samples/spinalcord/t2/t2.nii.gz', 'samples/spinalcord/t2/t2_seg-manual_labeled.nii.gz',
    'samples/spinalcord/t2s/t2s.nii.gz', 'samples/spleen_ct/spleen2_ct_seg.nii.gz',
    'Task04_Hippocampus/imagesTr/hippocampus_101.nii.gz',
  ].map((f) => join(DATA_DIR, f)).concat(Object.keys(reference.fixtures).map((f) => join(FIXTURES_DIR, f)));
  for (const source of realFiles) {
    test(`read -> write -> read keeps data and geometry: ${source.split('/').slice(-2).join('/')}`, async () => {
      const first = await readNifti(source);
      for (const ext of ['.nii', '.nii.gz']) {
        const path = join(tmp, `copy${ext}`);
        await writeNifti(path, first);
        const again = await readNifti(path);
        assert.deepEqual(again.data, first.data);
        assert.deepEqual(again.affine, first.affine);
        assert.deepEqual(again.spacing, first.spacing);
        assert.equal(again.orientation, first.orientation);
        assert.equal(again.channels, first.channels);
      }
    });
  }

  test('integer targets round half away from zero, clamp, and store NaN as 0', async () => {
    const vol = syntheticVolume('float32', 1);
    const values = [-40000, -2.5, -1.5, -0.5, -0.4, 0.4, 0.5, 1.5, 2.5, 40000, NaN, Infinity, -Infinity];
    (vol.data as Float32Array).fill(0);
    values.forEach((v, i) => { vol.data[i] = v; });
    const cases: [VoxelDatatype, number[]][] = [
      ['int16', [-32768, -3, -2, -1, 0, 0, 1, 2, 3, 32767, 0, 32767, -32768]],
      ['uint8', [0, 0, 0, 0, 0, 0, 1, 2, 3, 255, 0, 255, 0]],
    ];
    for (const [datatype, expected] of cases) {
      const path = join(tmp, `conv_${datatype}.nii`);
      await writeNifti(path, vol, { datatype });
      const back = await readNifti(path);
      assert.equal(back.datatype, datatype);
      assert.deepEqual([...back.data.slice(0, values.length)].map(Number), expected);
    }
    const path = join(tmp, 'conv_int64.nii');
    await writeNifti(path, vol, { datatype: 'int64' });
    assert.deepEqual([...(await readNifti(path)).data.slice(0, 4)], [-40000n, -3n, -2n, -1n]);
  });

  test('writing replaces the file atomically and leaves no temp files', async () => {
    const dir = mkdtempSync(join(tmp, 'atomic-'));
    const path = join(dir, 'a.nii.gz');
    await writeNifti(path, syntheticVolume('uint8', 1));
    await writeNifti(path, syntheticVolume('int16', 1));
    assert.deepEqual(readdirSync(dir), ['a.nii.gz']);
    assert.equal((await readNifti(path)).datatype, 'int16');
  });
});

describe('header geometry written', () => {
  const oblique = (): Volume => {
    const vol = syntheticVolume('int16', 1);
    const c = Math.cos(0.4), s = Math.sin(0.4);
    vol.affine = [[0.75 * c, -1.5 * s, 0, 12], [0.75 * s, 1.5 * c, 0, -3], [0, 0, -3, 40], [0, 0, 0, 1]];
    vol.spacing = [0.75, 1.5, 3];
    return vol;
  };
  const patchAndRead = (path: string, patch: (v: DataView) => void): Volume => {
    const bytes = readFileSync(path);
    patch(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    writeFileSync(path, bytes);
    return readNiftiSync(path);
  };

  test('the qform alone reproduces the affine (sform_code patched to 0), including a left-handed one', () => {
    const vol = oblique();
    const path = join(tmp, 'qform.nii');
    writeNiftiSync(path, vol);
    const header = readNiftiSync(path).header!;
    assert.ok(header.sformCode > 0 && header.qformCode > 0);
    assert.equal(header.pixdim[0], -1); // det < 0
    const fromQform = patchAndRead(path, (v) => v.setInt16(254, 0, true));
    closeMatrix(fromQform.affine, vol.affine, 1e-6, 'qform affine');
    assert.equal(fromQform.orientation, 'RAI');
  });

  test('no sform and no qform: affine is the pixdim scaling (NIfTI method 1)', () => {
    const path = join(tmp, 'method1.nii');
    writeNiftiSync(path, oblique());
    const vol = patchAndRead(path, (v) => { v.setInt16(252, 0, true); v.setInt16(254, 0, true); });
    assert.deepEqual(vol.affine, [[0.75, 0, 0, 0], [0, 1.5, 0, 0], [0, 0, 3, 0], [0, 0, 0, 1]]);
  });

  test('a sheared affine is kept in the sform; the qform is disabled', () => {
    const vol = syntheticVolume('uint8', 1);
    vol.affine = [[1, 0.5, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
    vol.spacing = [1, Math.hypot(0.5, 1), 1];
    const path = join(tmp, 'shear.nii');
    writeNiftiSync(path, vol);
    const back = readNiftiSync(path);
    assert.equal(back.header?.qformCode, 0);
    assert.deepEqual(back.affine, vol.affine);
  });

  test('a file whose pixdim disagrees with its sform survives read -> write -> read', () => {
    const path = join(tmp, 'pixdim_vs_sform.nii');
    const vol = readNiftiSync(writeThenPath(path, syntheticVolume('float32', 1)));
    const header = { ...vol.header!, pixdim: [1, 1, 1, 3, 1, 1, 1, 1], sformCode: 1, srow: [[0.9, 0, 0, 0], [0, 0.9, 0, 0], [0, 0, 3, 0]] as [number[], number[], number[]] };
    writeNiftiSync(path, { ...vol, affine: [[0.9, 0, 0, 0], [0, 0.9, 0, 0], [0, 0, 3, 0], [0, 0, 0, 1]], spacing: [1, 1, 3], header });
    const odd = readNiftiSync(path);
    assert.deepEqual(odd.spacing, [1, 1, 3]);
    writeNiftiSync(join(tmp, 'again.nii'), odd);
    const again = readNiftiSync(join(tmp, 'again.nii'));
    assert.deepEqual(again.spacing, odd.spacing);
    assert.deepEqual(again.affine, odd.affine);
  });

  test('writing rejects inconsistent volumes, naming the file', async () => {
    const path = join(tmp, 'bad_write.nii');
    const spacing = { ...syntheticVolume('uint8', 1), spacing: [2, -1.5, 3] as [number, number, number] };
    assert.throws(() => writeNiftiSync(path, spacing), (e: unknown) => e instanceof NiftiError && e.message.startsWith(path) && /spacing/.test(e.message));
    const short = { ...syntheticVolume('uint8', 1), data: new Uint8Array(3) };
    assert.throws(() => writeNiftiSync(path, short), (e: unknown) => e instanceof NiftiError && /needs 60/.test(e.message));
    await assert.rejects(writeNifti(join(tmp, 'no/such/dir/x.nii'), syntheticVolume('uint8', 1)), NiftiError);
  });
});

describe('bad files raise NiftiError naming the file', () => {
  const good = (): Buffer => {
    const path = join(tmp, 'good.nii');
    writeNiftiSync(path, syntheticVolume('int16', 1));
    return readFileSync(path);
  };
  const badFile = (name: string, bytes: Uint8Array): string => {
    const path = join(tmp, name);
    writeFileSync(path, bytes);
    return path;
  };
  const expectError = async (path: string, pattern: RegExp): Promise<void> => {
    const check = (e: unknown): boolean => {
      assert.ok(e instanceof NiftiError, `expected NiftiError, got ${String(e)}`);
      assert.ok(e.message.startsWith(`${path}: `), `message names the file: ${e.message}`);
      assert.equal(e.path, path);
      assert.match(e.message, pattern);
      return true;
    };
    await assert.rejects(readNifti(path), check);
    assert.throws(() => readNiftiSync(path), check);
  };
  const patched = (patch: (v: DataView) => void): Buffer => {
    const bytes = good();
    patch(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return bytes;
  };

  test('not a NIfTI', async () => {
    await expectError(badFile('text.nii', Buffer.from('hello, this is not an image'.repeat(20))), /not a NIfTI file: sizeof_hdr/);
    await expectError(badFile('tiny.nii.gz', gzipSync(Buffer.from('short'))), /not a NIfTI file: only 5 bytes/);
    await expectError(badFile('magic.nii', patched((v) => v.setUint8(345, 0x58))), /bad magic/);
    await expectError(badFile('pair.hdr', patched((v) => v.setUint8(345, 0x69))), /header\/image pairs/);
  });
  test('missing file', async () => {
    await expectError(join(tmp, 'absent.nii.gz'), /does not exist/);
  });
  test('truncated data', async () => {
    const bytes = good();
    await expectError(badFile('cut.nii', bytes.subarray(0, bytes.length - 10)), /truncated data: dims 5x4x3 of int16 need 120 bytes after offset 352, the file holds 110/);
    await expectError(badFile('cut.nii.gz', gzipSync(bytes.subarray(0, 400))), /truncated data/);
  });
  test('corrupt or truncated gzip', async () => {
    const gz = gzipSync(good());
    await expectError(badFile('halfgz.nii.gz', gz.subarray(0, gz.length >> 1)), /corrupt or truncated gzip/);
    const flipped = Buffer.from(gz);
    for (let i = 20; i < flipped.length - 8; i += 3) flipped[i] ^= 0xa5;
    await expectError(badFile('flipped.nii.gz', flipped), /corrupt or truncated gzip/);
  });
  test('unsupported datatype', async () => {
    await expectError(badFile('complex.nii', patched((v) => v.setInt16(70, 32, true))), /unsupported datatype complex64 \(code 32\)/);
    await expectError(badFile('weird.nii', patched((v) => v.setInt16(70, 99, true))), /unsupported datatype code 99/);
  });
  test('dims that disagree with the data size', async () => {
    await expectError(badFile('bigdim.nii', patched((v) => v.setInt16(44, 5, true))), /truncated data: dims 5x5x3/);
    await expectError(badFile('smalldim.nii', patched((v) => v.setInt16(46, 2, true))), /data size disagrees with the header dims: dims 5x4x2/);
    await expectError(badFile('ndim.nii', patched((v) => v.setInt16(40, 9, true))), /invalid dim\[0\] = 9/);
    await expectError(badFile('zerodim.nii', patched((v) => v.setInt16(46, 0, true))), /invalid dim\[3\] = 0/);
  });
});
