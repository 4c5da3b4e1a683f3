/**
 * One case's decoded volumes (image channels + optional label) as C-order float32 channel arrays and an
 * int8 label map, in the file's own voxel order (no reorientation: like nnU-Net, the network learns
 * in each dataset's native array order; the affine is kept so predictions can be written back).
 */
import type { Volume } from '../../io/volume.js';
import type { NiftiHeader } from '../../io/nifti_header.js';
import type { Shape3, Spacing3 } from '../../util/triple.js';
import { reversed3, voxelCount } from '../../util/triple.js';
import { MAX_CLASS_VALUE } from '../common/labels.js';

/** The fields of a dataset case case_reader.ts needs (dataset.ts's case satisfies it); the names label errors here. */
export interface CaseFiles {
  id: string;
  images: string[];
  /** 'separate': one 3D file per channel (nnU-Net v2); '4d': one file holding all channels (MSD). */
  channelInFile: 'separate' | '4d';
  label?: string;
}

/** Geometry of the original image file, for writing results on the input's grid. */
export interface NiftiGrid {
  /** [nx, ny, nz] */
  shape: Shape3;
  /** [sx, sy, sz] mm */
  spacing: Spacing3;
  affine: number[][];
  orientation: string;
  /** The original header: results are written with its qform/sform codes, units and description. */
  header?: NiftiHeader;
}

export interface LoadedCase {
  id: string;
  /** C-order array shape = reversed NIfTI shape [nz, ny, nx]. */
  shape: Shape3;
  /** Spacing per array axis = reversed NIfTI spacing [sz, sy, sx]. */
  spacing: Spacing3;
  images: Float32Array[];
  label?: Int8Array;
  grid: NiftiGrid;
}

function toFloat32(data: Volume['data'], start: number, end: number): Float32Array {
  if (data instanceof Float32Array) return data.subarray(start, end);
  const out = new Float32Array(end - start);
  if (data instanceof BigInt64Array) for (let i = start; i < end; i++) out[i - start] = Number(data[i]);
  else for (let i = start; i < end; i++) out[i - start] = data[i]!;
  return out;
}

function assertFinite(values: Float32Array, path: string): void {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) throw new Error(`${path}: image contains NaN or infinite values (voxel ${i})`);
}

function sameShape(a: Volume, b: Volume): boolean {
  return a.shape.every((n, i) => n === b.shape[i]);
}

/** Label values must be integers in [0, MAX_CLASS_VALUE] (stored as int8; negative values are marks, common/labels.ts). */
export function labelToInt8(vol: Volume, path: string): Int8Array {
  const d = vol.data;
  const out = new Int8Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = Number(d[i]!);
    const r = Math.round(v);
    if (Math.abs(v - r) > 1e-3 || r < 0 || r > MAX_CLASS_VALUE) throw new Error(`${path}: label value ${v} at voxel ${i} is not an integer class in 0..${MAX_CLASS_VALUE}`);
    out[i] = r;
  }
  return out;
}

/**
 * The case from its decoded files (`images[k]` read from `c.images[k]`), checked: equal shapes, the
 * channel count, finite intensities, integer labels. Errors name the file. No file access: the
 * browser app builds its case from dropped files this way.
 */
export function caseFromVolumes(c: CaseFiles, vols: readonly Volume[], labelVolume?: Volume, expectedChannels?: number): LoadedCase {
  const first = vols[0];
  if (!first) throw new Error('no image files');
  const n = voxelCount(first.shape);
  const images: Float32Array[] = [];
  vols.forEach((v, k) => {
    const path = c.images[k]!;
    if (!sameShape(v, first)) throw new Error(`${path}: shape ${v.shape.join('x')} (x, y, z) differs from ${c.images[0]} (${first.shape.join('x')})`);
    const nch = c.channelInFile === '4d' ? v.channels : 1;
    if (c.channelInFile === 'separate' && v.channels !== 1) throw new Error(`${path}: expected a 3D image, found ${v.channels} channels`);
    for (let ch = 0; ch < nch; ch++) images.push(toFloat32(v.data, ch * n, (ch + 1) * n));
  });
  images.forEach((im, k) => assertFinite(im, c.images[c.channelInFile === '4d' ? 0 : k]!));
  if (expectedChannels !== undefined && images.length !== expectedChannels) {
    throw new Error(`${images.length} image channel(s) in ${c.images.join(', ')}, ${expectedChannels} expected`);
  }
  const loaded: LoadedCase = {
    id: c.id,
    shape: reversed3(first.shape),
    spacing: reversed3(first.spacing),
    images,
    grid: {
      shape: [...first.shape], spacing: [...first.spacing], affine: first.affine.map((r) => [...r]), orientation: first.orientation,
      header: first.header,
    },
  };
  if (labelVolume && c.label) {
    if (!sameShape(labelVolume, first) || labelVolume.channels !== 1) {
      throw new Error(`${c.label}: label shape ${labelVolume.shape.join('x')}x${labelVolume.channels} (x, y, z, channels) does not match image ${first.shape.join('x')}`);
    }
    loaded.label = labelToInt8(labelVolume, c.label);
  }
  return loaded;
}
