/**
 * The in-memory form of one medical image, shared by the NIfTI reader/writer, the dataset
 * layer and preprocessing. Voxel data is kept in the file's index order (x fastest, i.e. NIfTI /
 * Fortran order: index = x + nx*(y + ny*(z + nz*c))), so reading never reorders voxels.
 */
import type { NiftiHeader } from './nifti_header.js';

export type VoxelDatatype =
  | 'uint8' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float32' | 'float64';

export type VoxelArray =
  | Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | Float32Array | Float64Array;

export interface Volume {
  /** Spatial size [nx, ny, nz] (NIfTI dim[1..3]). */
  shape: [number, number, number];
  /** Number of channels (NIfTI dim[4], 1 for 3D images). */
  channels: number;
  /** Voxel spacing in mm along x, y, z. */
  spacing: [number, number, number];
  /** 4x4 voxel-to-world (RAS+ mm, as NIfTI defines it) affine, row-major. */
  affine: number[][];
  /** Axis orientation codes, e.g. 'RAS', 'LPS', 'PSR'. */
  orientation: string;
  /** Voxel values after scl_slope/scl_inter, in the on-disk datatype when no scaling applies. */
  data: VoxelArray | Float32Array | Float64Array;
  /** The datatype stored on disk. */
  datatype: VoxelDatatype;
  /**
   * The header this volume was read from, if any. writeNifti reuses its qform/sform verbatim while
   * the affine is unchanged (so read -> write -> read keeps the geometry bit for bit), and its units
   * and description. Safe to drop or to carry along when deriving a new volume.
   */
  header?: NiftiHeader;
}
