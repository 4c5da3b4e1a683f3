/**
 * The NIfTI datatypes pspseg handles: their header codes, sizes and typed-array classes, and the
 * conversions between them (byte swapping on read; rounding and clamping when writing a narrower type).
 */
import type { VoxelArray, VoxelDatatype } from './volume.js';

type ArrayClass =
  | Uint8ArrayConstructor | Int8ArrayConstructor | Int16ArrayConstructor | Uint16ArrayConstructor
  | Int32ArrayConstructor | Uint32ArrayConstructor | BigInt64ArrayConstructor
  | Float32ArrayConstructor | Float64ArrayConstructor;

interface DatatypeInfo { name: VoxelDatatype; code: number; bytes: number; array: ArrayClass; min: number; max: number }

const TABLE: DatatypeInfo[] = [
  { name: 'uint8', code: 2, bytes: 1, array: Uint8Array, min: 0, max: 255 },
  { name: 'int16', code: 4, bytes: 2, array: Int16Array, min: -32768, max: 32767 },
  { name: 'int32', code: 8, bytes: 4, array: Int32Array, min: -2147483648, max: 2147483647 },
  { name: 'float32', code: 16, bytes: 4, array: Float32Array, min: -Infinity, max: Infinity },
  { name: 'float64', code: 64, bytes: 8, array: Float64Array, min: -Infinity, max: Infinity },
  { name: 'int8', code: 256, bytes: 1, array: Int8Array, min: -128, max: 127 },
  { name: 'uint16', code: 512, bytes: 2, array: Uint16Array, min: 0, max: 65535 },
  { name: 'uint32', code: 768, bytes: 4, array: Uint32Array, min: 0, max: 4294967295 },
  { name: 'int64', code: 1024, bytes: 8, array: BigInt64Array, min: -(2 ** 63), max: 2 ** 63 },
];

/** Names of NIfTI datatype codes we do not read, for error messages. */
const UNSUPPORTED_NAMES: Record<number, string> = {
  0: 'unknown', 1: 'binary', 32: 'complex64', 128: 'rgb24', 255: 'all', 1280: 'uint64',
  1536: 'float128', 1792: 'complex128', 2048: 'complex256', 2304: 'rgba32',
};

export const VOXEL_DATATYPES: readonly VoxelDatatype[] = TABLE.map((t) => t.name);

export function datatypeByCode(code: number): DatatypeInfo | undefined {
  return TABLE.find((t) => t.code === code);
}

export function datatypeInfo(name: VoxelDatatype): DatatypeInfo {
  const info = TABLE.find((t) => t.name === name);
  if (!info) throw new Error(`unknown voxel datatype '${String(name)}'`);
  return info;
}

export function describeDatatypeCode(code: number): string {
  return UNSUPPORTED_NAMES[code] ? `${UNSUPPORTED_NAMES[code]} (code ${code})` : `code ${code}`;
}

/** The datatype whose typed-array class holds `data` (Float32Array -> 'float32', ...). */
export function datatypeOfArray(data: VoxelArray): VoxelDatatype {
  const info = TABLE.find((t) => data instanceof t.array);
  if (!info) throw new Error('voxel data is not one of the supported typed arrays');
  return info.name;
}

export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Copies `count` voxels of `info` type from `bytes` at `offset` into a fresh, exclusively owned
 * typed array (so `data.buffer` never exposes file bytes or a pooled buffer), swapping bytes when
 * the file's byte order differs from the host's.
 */
export function voxelsFromBytes(
  bytes: Uint8Array, offset: number, count: number, info: DatatypeInfo, littleEndian: boolean,
): VoxelArray {
  const out = new info.array(count);
  const outBytes = new Uint8Array(out.buffer);
  outBytes.set(bytes.subarray(offset, offset + count * info.bytes));
  if (littleEndian !== HOST_LITTLE_ENDIAN && info.bytes > 1) swapBytes(outBytes, info.bytes);
  return out;
}

/** In-place byte swap of every `width`-byte word. */
export function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a]!; bytes[a] = bytes[b]!; bytes[b] = t;
    }
  }
}

/**
 * `data` as an array of datatype `target`. Returns `data` itself when it already has that type;
 * otherwise converts, rounding to nearest (halves away from zero) and clamping to the target's range
 * for integer targets, with NaN stored as 0.
 */
export function convertVoxels(data: VoxelArray, target: VoxelDatatype): VoxelArray {
  const info = datatypeInfo(target);
  if (data instanceof info.array) return data;
  const n = data.length;
  if (info.name === 'int64') {
    const out = new BigInt64Array(n);
    if (data instanceof BigInt64Array) { out.set(data); return out; }
    for (let i = 0; i < n; i++) out[i] = toInt64(data[i] as number);
    return out;
  }
  const out = new info.array(n) as Exclude<VoxelArray, BigInt64Array>;
  const get: (i: number) => number = data instanceof BigInt64Array ? (i) => Number(data[i]) : (i) => data[i] as number;
  if (info.name === 'float32' || info.name === 'float64') {
    for (let i = 0; i < n; i++) out[i] = get(i);
    return out;
  }
  const { min, max } = info;
  for (let i = 0; i < n; i++) {
    const v = get(i);
    out[i] = v !== v ? 0 : v <= min ? min : v >= max ? max : roundHalfAway(v);
  }
  return out;
}

function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

function toInt64(v: number): bigint {
  if (v !== v) return 0n;
  if (v >= 2 ** 63) return INT64_MAX;
  if (v <= -(2 ** 63)) return INT64_MIN;
  return BigInt(roundHalfAway(v));
}
