/**
 * Rotation + scaling in one resampling, and the crop from the enlarged sampled patch to the final
 * patch (nnU-Net v2 SpatialTransform: p_rotation 0.2 with one angle per axis in +-30 degrees,
 * p_scaling 0.2 with one factor in [0.7, 1.4] for all axes; > 1 samples a larger region, so
 * structures get smaller). The output grid is centred on the input patch centre.
 *
 * Samples with neither rotation nor scaling are centre-cropped without interpolation (as nnU-Net
 * does, and exact). Otherwise one affine grid samples the image trilinearly (zeros outside) and the
 * label either by nearest neighbour or, 'linear', by trilinear interpolation of each class's
 * indicator followed by argmax (nnU-Net's default); both only ever produce values that were
 * present, and points outside the input get -1 (ignored by the loss).
 *
 * Unlike nnU-Net, which rotates normalised [-1, 1] grid coordinates (a shear when the enlarged patch
 * is not a cube), the affine here acts on voxel offsets, so rotations are rigid.
 */
import { type Tensor, F, cat, tensor } from '../../tensor/index.js';
import type { Random } from '../../util/random.js';
import type { Shape3 } from '../../util/triple.js';
import type { Vec3 } from '../../util/triple.js';
import { affineGrid3d } from './affine_grid.js';
import type { Sample, SampleInfo, SampleTransform } from './types.js';

export type LabelInterpolation = 'nearest' | 'linear';

export interface SpatialOptions {
  /** The patch size the network sees (output size). */
  patchSize: Shape3;
  pRotation?: number;
  /** Largest absolute angle per axis, radians. */
  maxRotation?: number;
  pScaling?: number;
  scaling?: [number, number];
  labelInterpolation?: LabelInterpolation;
  /** Array axes that get a random rotation angle (default all; nnU-Net's dummy 2-D: [0]). */
  rotationAxes?: readonly number[];
  /** Array axes the zoom applies to (default all; dummy 2-D: [1, 2], the slice plane). */
  scaleAxes?: readonly number[];
}

export interface SpatialParams {
  /** Rotation angles about array axes 0, 1, 2 (radians); null when not rotating. */
  angles: Vec3 | null;
  /** Zoom of the sampling grid; null when not scaling. */
  scale: number | null;
  /** Axes the zoom applies to (all when absent). */
  scaleAxes?: number[];
}

export class SpatialTransform implements SampleTransform<SpatialParams> {
  readonly name = 'spatial';
  readonly patchSize: Shape3;
  readonly pRotation: number;
  readonly maxRotation: number;
  readonly pScaling: number;
  readonly scaling: [number, number];
  readonly labelInterpolation: LabelInterpolation;
  readonly rotationAxes: readonly number[];
  readonly scaleAxes: readonly number[] | undefined;

  constructor(o: SpatialOptions) {
    this.patchSize = [...o.patchSize];
    this.pRotation = o.pRotation ?? 0.2;
    this.maxRotation = o.maxRotation ?? Math.PI / 6;
    this.pScaling = o.pScaling ?? 0.2;
    this.scaling = o.scaling ?? [0.7, 1.4];
    this.labelInterpolation = o.labelInterpolation ?? 'nearest';
    this.rotationAxes = o.rotationAxes ?? [0, 1, 2];
    this.scaleAxes = o.scaleAxes;
  }

  /** Always returns parameters: even an unrotated, unscaled sample must be cropped. */
  draw(rng: Random, _info: SampleInfo): SpatialParams {
    const rotate = rng.bool(this.pRotation);
    const scale = rng.bool(this.pScaling);
    const angles = rotate
      ? ([0, 1, 2].map((a) => (this.rotationAxes.includes(a) ? rng.uniform(-this.maxRotation, this.maxRotation) : 0)) as Vec3)
      : null;
    const p: SpatialParams = { angles, scale: scale ? rng.uniform(this.scaling[0], this.scaling[1]) : null };
    if (this.scaleAxes) p.scaleAxes = [...this.scaleAxes];
    return p;
  }

  apply(s: Sample, p: SpatialParams): Sample {
    const inSize = s.image.shape.slice(2) as Shape3;
    if (p.angles === null && p.scale === null) return centreCrop(s, inSize, this.patchSize);
    const grid = affineGrid3d(affineTheta(p, inSize, this.patchSize), this.patchSize, s.image.device);
    const image = F.gridSample(s.image, grid, { mode: 'bilinear', paddingMode: 'zeros', alignCorners: false });
    const label = this.labelInterpolation === 'nearest' ? sampleLabelNearest(s.label, grid) : sampleLabelLinear(s.label, grid);
    return { image, label };
  }
}

/** nnU-Net's crop_tensor around floor(in / 2): start = floor(in / 2) - floor(out / 2). */
function centreCrop(s: Sample, inSize: Shape3, out: Shape3): Sample {
  let { image, label } = s;
  for (let d = 0; d < 3; d++) {
    const start = Math.floor(inSize[d]! / 2) - Math.floor(out[d]! / 2);
    if (start === 0 && inSize[d] === out[d]) continue;
    image = image.narrow(2 + d, start, out[d]!);
    label = label.narrow(2 + d, start, out[d]!);
  }
  return { image, label };
}

/** Rotation about array axes 0, 1, 2 applied in that order (R0 R1 R2), times the zoom. */
export function rotationScaleMatrix(p: SpatialParams): number[][] {
  const [a0, a1, a2] = p.angles ?? [0, 0, 0];
  const c0 = Math.cos(a0), s0 = Math.sin(a0), c1 = Math.cos(a1), s1 = Math.sin(a1), c2 = Math.cos(a2), s2 = Math.sin(a2);
  const r0 = [[1, 0, 0], [0, c0, -s0], [0, s0, c0]];
  const r1 = [[c1, 0, s1], [0, 1, 0], [-s1, 0, c1]];
  const r2 = [[c2, -s2, 0], [s2, c2, 0], [0, 0, 1]];
  const k = p.scale ?? 1;
  // Zoom as a diagonal on the right (in = R * S * out); with all axes zoomed it is uniform.
  const zoomed = (j: number) => (!p.scaleAxes || p.scaleAxes.includes(j) ? k : 1);
  return matmul3(matmul3(r0, r1), r2).map((row) => row.map((v, j) => v * zoomed(j)));
}

/**
 * theta [3, 4] for affineGrid (align_corners false): maps normalised output coordinates to
 * normalised input coordinates so that voxel offsets from the centres obey in = A * out.
 * Normalised u relates to a voxel offset d by d = u * size / 2; grid coordinates are ordered
 * (x, y, z) = (axis 2, axis 1, axis 0), hence the index reversal.
 */
export function affineTheta(p: SpatialParams, inSize: Shape3, outSize: Shape3): Float32Array {
  const a = rotationScaleMatrix(p);
  const theta = new Float32Array(12);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const ai = 2 - i, aj = 2 - j; // array axes of grid rows / columns
      theta[i * 4 + j] = (2 / inSize[ai]!) * a[ai]![aj]! * (outSize[aj]! / 2);
    }
  }
  return theta; // translation 0: centre maps to centre
}

/** Nearest sampling of label + 1 with zero padding, minus 1: outside the input becomes -1. */
function sampleLabelNearest(label: Tensor, grid: Tensor): Tensor {
  const shifted = label.dtype === 'float32' ? label.add(1) : label.float().add_(1); // never in place on the input
  return F.gridSample(shifted, grid, { mode: 'nearest', paddingMode: 'zeros', alignCorners: false }).sub(1);
}

/** Class indicators interpolated trilinearly, then argmax; -1 comes first so all-zero (outside) points get -1. */
function sampleLabelLinear(label: Tensor, grid: Tensor): Tensor {
  const values = presentValues(label);
  if (values[0] !== -1) values.unshift(-1);
  const indicators = cat(values.map((v) => label.eq(v).float()), 1);
  const weights = F.gridSample(indicators, grid, { mode: 'bilinear', paddingMode: 'zeros', alignCorners: false });
  const idx = weights.argmax(1, true);
  const table = tensor(Float32Array.from(values), [values.length], { device: label.device });
  return table.indexSelect(0, idx.flatten()).reshape(idx.shape);
}

/** The distinct integer values of a label tensor, ascending (a few small reductions; labels span a short range). */
export function presentValues(label: Tensor): number[] {
  const lo = label.min().item(), hi = label.max().item();
  const out: number[] = [];
  for (let v = lo; v <= hi; v++) if (label.eq(v).any().item()) out.push(v);
  return out;
}

function matmul3(a: number[][], b: number[][]): number[][] {
  return a.map((row) => [0, 1, 2].map((j) => row[0]! * b[0]![j]! + row[1]! * b[1]![j]! + row[2]! * b[2]![j]!));
}
