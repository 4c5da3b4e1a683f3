/**
 * NIfTI-1 (348-byte) and NIfTI-2 (540-byte) headers: parsing in either byte order and serialising
 * (always little-endian, single-file layout with an empty extension block). Only the fields pspseg
 * uses are kept; geometry interpretation lives in nifti_geometry.ts.
 */
import { NiftiError } from './nifti_error.js';

export interface NiftiHeader {
  version: 1 | 2;
  littleEndian: boolean;
  /** dim[0..7]: dim[0] is the number of dimensions. */
  dim: number[];
  datatypeCode: number;
  bitpix: number;
  /** pixdim[0..7]: pixdim[0] is qfac. */
  pixdim: number[];
  voxOffset: number;
  sclSlope: number;
  sclInter: number;
  qformCode: number;
  sformCode: number;
  /** quatern_b, quatern_c, quatern_d. */
  quatern: [number, number, number];
  /** qoffset_x, qoffset_y, qoffset_z. */
  qoffset: [number, number, number];
  /** srow_x, srow_y, srow_z. */
  srow: [number[], number[], number[]];
  xyztUnits: number;
  intentCode: number;
  intentName: string;
  descrip: string;
  auxFile: string;
}

export const NIFTI1_HEADER_SIZE = 348;
export const NIFTI2_HEADER_SIZE = 540;
/** Header plus the 4-byte extension flag: where voxel data starts when there are no extensions. */
export const NIFTI1_DATA_OFFSET = 352;
export const NIFTI2_DATA_OFFSET = 544;
const NIFTI2_MAGIC_TAIL = [0x0d, 0x0a, 0x1a, 0x0a]; // '\r\n\032\n' after 'n+2\0'

/** Parses the header at the start of `bytes` (the decompressed file). Throws NiftiError naming `path`. */
export function parseNiftiHeader(bytes: Uint8Array, path: string): NiftiHeader {
  if (bytes.length < NIFTI1_HEADER_SIZE) {
    throw new NiftiError(path, `not a NIfTI file: only ${bytes.length} bytes, a NIfTI header needs ${NIFTI1_HEADER_SIZE}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const littleEndian of [true, false]) {
    const size = view.getInt32(0, littleEndian);
    if (size === NIFTI1_HEADER_SIZE) return parseNifti1(view, littleEndian, path);
    if (size === NIFTI2_HEADER_SIZE) {
      if (bytes.length < NIFTI2_HEADER_SIZE) throw new NiftiError(path, `truncated NIfTI-2 header (${bytes.length} of ${NIFTI2_HEADER_SIZE} bytes)`);
      return parseNifti2(view, littleEndian, path);
    }
  }
  throw new NiftiError(path, `not a NIfTI file: sizeof_hdr is ${view.getInt32(0, true)}, expected 348 (NIfTI-1) or 540 (NIfTI-2)`);
}

function text(view: DataView, offset: number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) {
    const c = view.getUint8(offset + i);
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

function checkMagic(view: DataView, offset: number, version: 1 | 2, path: string): void {
  const magic = text(view, offset, 4);
  if (magic === `ni${version}`) {
    throw new NiftiError(path, `NIfTI-${version} header/image pairs (.hdr/.img) are not supported; convert to a single .nii/.nii.gz file`);
  }
  const tailOk = version === 1 || NIFTI2_MAGIC_TAIL.every((b, i) => view.getUint8(offset + 4 + i) === b);
  if (magic !== `n+${version}` || view.getUint8(offset + 3) !== 0 || !tailOk) {
    const hint = version === 1 ? ' (an Analyze 7.5 file or not a NIfTI file)' : '';
    throw new NiftiError(path, `not a NIfTI file: bad magic ${JSON.stringify(magic)} for a NIfTI-${version} header${hint}`);
  }
}

function parseNifti1(v: DataView, le: boolean, path: string): NiftiHeader {
  checkMagic(v, 344, 1, path);
  const f32 = (o: number): number => v.getFloat32(o, le);
  const i16 = (o: number): number => v.getInt16(o, le);
  return {
    version: 1,
    littleEndian: le,
    dim: Array.from({ length: 8 }, (_, i) => i16(40 + 2 * i)),
    intentCode: i16(68),
    datatypeCode: i16(70),
    bitpix: i16(72),
    pixdim: Array.from({ length: 8 }, (_, i) => f32(76 + 4 * i)),
    voxOffset: f32(108),
    sclSlope: f32(112),
    sclInter: f32(116),
    xyztUnits: v.getUint8(123),
    descrip: text(v, 148, 80),
    auxFile: text(v, 228, 24),
    qformCode: i16(252),
    sformCode: i16(254),
    quatern: [f32(256), f32(260), f32(264)],
    qoffset: [f32(268), f32(272), f32(276)],
    srow: [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => f32(280 + 16 * r + 4 * c))) as NiftiHeader['srow'],
    intentName: text(v, 328, 16),
  };
}

function parseNifti2(v: DataView, le: boolean, path: string): NiftiHeader {
  checkMagic(v, 4, 2, path);
  const f64 = (o: number): number => v.getFloat64(o, le);
  const i64 = (o: number): number => {
    const big = v.getBigInt64(o, le);
    if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new NiftiError(path, `NIfTI-2 header value ${big} at byte ${o} is out of range`);
    }
    return Number(big);
  };
  const i32 = (o: number): number => v.getInt32(o, le);
  return {
    version: 2,
    littleEndian: le,
    datatypeCode: v.getInt16(12, le),
    bitpix: v.getInt16(14, le),
    dim: Array.from({ length: 8 }, (_, i) => i64(16 + 8 * i)),
    pixdim: Array.from({ length: 8 }, (_, i) => f64(104 + 8 * i)),
    voxOffset: i64(168),
    sclSlope: f64(176),
    sclInter: f64(184),
    descrip: text(v, 240, 80),
    auxFile: text(v, 320, 24),
    qformCode: i32(344),
    sformCode: i32(348),
    quatern: [f64(352), f64(360), f64(368)],
    qoffset: [f64(376), f64(384), f64(392)],
    srow: [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => f64(400 + 32 * r + 8 * c))) as NiftiHeader['srow'],
    xyztUnits: i32(500),
    intentCode: i32(504),
    intentName: text(v, 508, 16),
  };
}

function putText(bytes: Uint8Array, offset: number, length: number, s: string): void {
  for (let i = 0; i < Math.min(s.length, length - 1); i++) bytes[offset + i] = s.charCodeAt(i) & 0x7f;
}

/**
 * Serialises `h` as a little-endian single-file header followed by an empty extension flag.
 * `h.voxOffset` is ignored: data always follows at 352 (NIfTI-1) or 544 (NIfTI-2).
 */
export function serializeNiftiHeader(h: NiftiHeader): Uint8Array {
  return h.version === 2 ? serializeNifti2(h) : serializeNifti1(h);
}

function serializeNifti1(h: NiftiHeader): Uint8Array {
  const bytes = new Uint8Array(NIFTI1_DATA_OFFSET);
  const v = new DataView(bytes.buffer);
  const f32 = (o: number, x: number): void => v.setFloat32(o, x, true);
  const i16 = (o: number, x: number): void => v.setInt16(o, x, true);
  v.setInt32(0, NIFTI1_HEADER_SIZE, true);
  bytes[38] = 0x72; // 'r' (regular), as every writer sets it
  h.dim.forEach((d, i) => i16(40 + 2 * i, d));
  i16(68, h.intentCode);
  i16(70, h.datatypeCode);
  i16(72, h.bitpix);
  h.pixdim.forEach((p, i) => f32(76 + 4 * i, p));
  f32(108, NIFTI1_DATA_OFFSET);
  f32(112, h.sclSlope);
  f32(116, h.sclInter);
  bytes[123] = h.xyztUnits;
  putText(bytes, 148, 80, h.descrip);
  putText(bytes, 228, 24, h.auxFile);
  i16(252, h.qformCode);
  i16(254, h.sformCode);
  h.quatern.forEach((q, i) => f32(256 + 4 * i, q));
  h.qoffset.forEach((q, i) => f32(268 + 4 * i, q));
  h.srow.forEach((row, r) => row.forEach((x, c) => f32(280 + 16 * r + 4 * c, x)));
  putText(bytes, 328, 16, h.intentName);
  bytes.set([0x6e, 0x2b, 0x31, 0x00], 344); // 'n+1\0'
  return bytes;
}

function serializeNifti2(h: NiftiHeader): Uint8Array {
  const bytes = new Uint8Array(NIFTI2_DATA_OFFSET);
  const v = new DataView(bytes.buffer);
  const f64 = (o: number, x: number): void => v.setFloat64(o, x, true);
  const i64 = (o: number, x: number): void => v.setBigInt64(o, BigInt(x), true);
  v.setInt32(0, NIFTI2_HEADER_SIZE, true);
  bytes.set([0x6e, 0x2b, 0x32, 0x00, ...NIFTI2_MAGIC_TAIL], 4); // 'n+2\0\r\n\032\n'
  v.setInt16(12, h.datatypeCode, true);
  v.setInt16(14, h.bitpix, true);
  h.dim.forEach((d, i) => i64(16 + 8 * i, d));
  h.pixdim.forEach((p, i) => f64(104 + 8 * i, p));
  i64(168, NIFTI2_DATA_OFFSET);
  f64(176, h.sclSlope);
  f64(184, h.sclInter);
  putText(bytes, 240, 80, h.descrip);
  putText(bytes, 320, 24, h.auxFile);
  v.setInt32(344, h.qformCode, true);
  v.setInt32(348, h.sformCode, true);
  h.quatern.forEach((q, i) => f64(352 + 8 * i, q));
  h.qoffset.forEach((q, i) => f64(376 + 8 * i, q));
  h.srow.forEach((row, r) => row.forEach((x, c) => f64(400 + 32 * r + 8 * c, x)));
  v.setInt32(500, h.xyztUnits, true);
  v.setInt32(504, h.intentCode, true);
  putText(bytes, 508, 16, h.intentName);
  return bytes;
}
