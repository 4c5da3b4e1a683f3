/**
 * NIfTI-1 / NIfTI-2 images as bytes (uncompressed), both ways, with no file or Node API: the browser app
 * and Node share it. nifti.ts adds files and gzip.
 *
 * Headers are parsed here rather than with nifti-reader-js: we need both byte orders, NIfTI-2, the
 * exact nibabel-compatible qform maths, and a writer that mirrors the reader field for field.
 */
import type { Volume, VoxelArray, VoxelDatatype } from './volume.js';
import { NiftiError } from './nifti_error.js';
import {
  NIFTI1_DATA_OFFSET, NIFTI2_DATA_OFFSET, parseNiftiHeader, serializeNiftiHeader, type NiftiHeader,
} from './nifti_header.js';
import { affineFromHeader, affineZooms, headerZooms, qformFromAffine, type Affine } from './nifti_geometry.js';
import { orientationCodes } from './orientation.js';
import {
  HOST_LITTLE_ENDIAN, convertVoxels, datatypeByCode, datatypeInfo, datatypeOfArray, describeDatatypeCode,
  swapBytes, voxelsFromBytes,
} from './voxel_types.js';

/** gzip data starts with these two bytes (the name of a file is no proof either way). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decodes an uncompressed NIfTI file image; `path` only labels errors. */
export function decodeNifti(bytes: Uint8Array, path: string): Volume {
  const header = parseNiftiHeader(bytes, path);
  const { shape, channels } = imageSize(header, path);
  const info = datatypeByCode(header.datatypeCode);
  if (!info) throw new NiftiError(path, `unsupported datatype ${describeDatatypeCode(header.datatypeCode)}`);

  // A single-file NIfTI keeps its data after the header; writers that leave vox_offset at 0 mean that.
  const minOffset = header.version === 1 ? NIFTI1_DATA_OFFSET : NIFTI2_DATA_OFFSET;
  if (!Number.isInteger(header.voxOffset) || header.voxOffset < 0) {
    throw new NiftiError(path, `invalid vox_offset ${header.voxOffset}`);
  }
  const offset = Math.max(header.voxOffset, minOffset);
  const count = shape[0] * shape[1] * shape[2] * channels;
  const need = count * info.bytes;
  const have = bytes.length - offset;
  if (have !== need) {
    const dims = `${shape.join('x')}${channels > 1 ? `x${channels}` : ''}`;
    const problem = have < need ? 'truncated data' : 'data size disagrees with the header dims';
    throw new NiftiError(path,
      `${problem}: dims ${dims} of ${info.name} need ${need} bytes after offset ${offset}, the file holds ${Math.max(have, 0)}`);
  }
  const raw = voxelsFromBytes(bytes, offset, count, info, header.littleEndian);
  const affine = affineFromHeader(header);
  return {
    shape,
    channels,
    spacing: headerZooms(header),
    affine,
    orientation: orientationCodes(affine),
    data: applyScaling(raw, header),
    datatype: info.name,
    header,
  };
}

function imageSize(h: NiftiHeader, path: string): { shape: [number, number, number]; channels: number } {
  const ndim = h.dim[0]!;
  if (!(ndim >= 1 && ndim <= 7)) throw new NiftiError(path, `invalid dim[0] = ${ndim} (number of dimensions must be 1..7)`);
  for (let i = 1; i <= ndim; i++) {
    if (!Number.isInteger(h.dim[i]) || h.dim[i]! < 1) throw new NiftiError(path, `invalid dim[${i}] = ${h.dim[i]}`);
  }
  const size = (i: number): number => (i <= ndim ? h.dim[i]! : 1);
  // Everything past the third axis (time, vector components) is flattened into channels.
  let channels = 1;
  for (let i = 4; i <= ndim; i++) channels *= h.dim[i]!;
  return { shape: [size(1), size(2), size(3)], channels };
}

/**
 * Applies scl_slope/scl_inter. No scaling when slope is 0 or not finite, or is the identity. Scaled
 * data is float32 for sources that float32 holds exactly (<= 16-bit integers, float32), else float64.
 */
function applyScaling(raw: VoxelArray, h: NiftiHeader): VoxelArray {
  const slope = h.sclSlope;
  const inter = Number.isFinite(h.sclInter) ? h.sclInter : 0; // a NaN intercept with a valid slope means none
  if (!Number.isFinite(slope) || slope === 0 || (slope === 1 && inter === 0)) return raw;
  const narrow = raw instanceof Float32Array || raw.BYTES_PER_ELEMENT <= 2;
  const out = narrow ? new Float32Array(raw.length) : new Float64Array(raw.length);
  if (raw instanceof BigInt64Array) {
    for (let i = 0; i < raw.length; i++) out[i] = Number(raw[i]) * slope + inter;
  } else {
    for (let i = 0; i < raw.length; i++) out[i] = raw[i]! * slope + inter;
  }
  return out;
}

export interface WriteNiftiOptions {
  /** On-disk datatype; default: the type of `volume.data`. Integer targets round and clamp. */
  datatype?: VoxelDatatype;
  /**
   * Header (or a volume read from a file) whose qform/sform codes, units and description to keep.
   * If its affine equals `volume.affine`, its qform/sform/pixdim are written verbatim. Default: `volume.header`.
   */
  reference?: Volume | NiftiHeader;
  /** 'nifti1' (default) or 'nifti2'. NIfTI-2 is used anyway when a dimension exceeds NIfTI-1's 32767. */
  format?: 'nifti1' | 'nifti2';
  /** gzip level for .gz paths (default 1: fast, as nibabel; segmentations still shrink a lot). */
  compressionLevel?: number;
}

/** The uncompressed file as [header, voxel bytes]. `path` only labels errors. */
export function encodeNifti(volume: Volume, options: WriteNiftiOptions = {}, path = '<memory>'): Uint8Array[] {
  const { shape, channels, affine } = volume;
  checkVolume(volume, path);
  const datatype = options.datatype ?? datatypeOfArray(volume.data);
  const info = datatypeInfo(datatype);
  const reference = options.reference === undefined ? volume.header
    : 'version' in options.reference ? options.reference : options.reference.header;
  const dims = [channels > 1 ? 4 : 3, ...shape, channels, 1, 1, 1];
  const version = options.format === 'nifti2' || dims.some((d) => d > 32767) ? 2 : 1;

  const header: NiftiHeader = {
    version,
    littleEndian: true,
    dim: dims,
    datatypeCode: info.code,
    bitpix: info.bytes * 8,
    ...geometryFields(affine, reference),
    voxOffset: version === 1 ? NIFTI1_DATA_OFFSET : NIFTI2_DATA_OFFSET,
    sclSlope: 1,
    sclInter: 0,
    xyztUnits: reference?.xyztUnits ?? 10, // mm and seconds
    intentCode: 0,
    intentName: '',
    descrip: reference?.descrip ?? 'pspseg',
    auxFile: reference?.auxFile ?? '',
  };
  const voxels = convertVoxels(volume.data, datatype);
  let bytes = new Uint8Array(voxels.buffer, voxels.byteOffset, voxels.byteLength);
  if (!HOST_LITTLE_ENDIAN && info.bytes > 1) { bytes = bytes.slice(); swapBytes(bytes, info.bytes); }
  return [serializeNiftiHeader(header), bytes];
}

type GeometryFields = Pick<NiftiHeader, 'pixdim' | 'qformCode' | 'sformCode' | 'quatern' | 'qoffset' | 'srow'>;

/** qform, sform and pixdim for `affine`: the reference's own fields when they describe the same affine. */
function geometryFields(affine: Affine, reference: NiftiHeader | undefined): GeometryFields {
  if (reference && sameAffine(affineFromHeader(reference), affine)) {
    return {
      pixdim: [...reference.pixdim.slice(0, 4), 1, 1, 1, 1],
      qformCode: reference.qformCode,
      sformCode: reference.sformCode,
      quatern: [...reference.quatern],
      qoffset: [...reference.qoffset],
      srow: reference.srow.map((row) => row.slice()) as NiftiHeader['srow'],
    };
  }
  const q = qformFromAffine(affine);
  const sformCode = reference?.sformCode || reference?.qformCode || 1; // 1: scanner anatomical
  return {
    pixdim: [q.qfac, ...q.zooms, 1, 1, 1, 1],
    // A quaternion cannot hold shears; then only the sform describes the affine.
    qformCode: q.exact ? reference?.qformCode || sformCode : 0,
    sformCode,
    quatern: q.quatern,
    qoffset: q.qoffset,
    srow: [affine[0]!.slice(0, 4), affine[1]!.slice(0, 4), affine[2]!.slice(0, 4)],
  };
}

function sameAffine(a: Affine, b: Affine): boolean {
  return a.every((row, r) => row.every((v, c) => v === b[r]![c]));
}

function checkVolume(volume: Volume, path: string): void {
  const { shape, channels, affine, spacing, data } = volume;
  const fail = (why: string): never => { throw new NiftiError(path, `cannot write: ${why}`); };
  if (shape.length !== 3 || !shape.every((n) => Number.isInteger(n) && n >= 1)) fail(`invalid shape [${shape}]`);
  if (!Number.isInteger(channels) || channels < 1) fail(`invalid channel count ${channels}`);
  const count = shape[0] * shape[1] * shape[2] * channels;
  if (data.length !== count) fail(`data has ${data.length} voxels, shape ${shape.join('x')} x ${channels} channel(s) needs ${count}`);
  if (affine.length < 3 || !affine.slice(0, 3).every((row) => row.length >= 4 && row.slice(0, 4).every(Number.isFinite))) {
    fail('affine must be a 4x4 matrix of finite numbers');
  }
  const zooms = affineZooms(affine);
  if (zooms.some((z) => z === 0)) fail('affine is singular (a voxel axis has zero length)');
  // The affine is what is written. Real files may have a pixdim (spacing) that disagrees with
  // their sform; a volume read from one carries its header, whose fields are then kept verbatim,
  // so a read -> write round trip always works. Otherwise pixdim follows the affine.
  if (!spacing.every((s) => Number.isFinite(s) && s > 0)) fail(`invalid spacing [${spacing}]`);
}
