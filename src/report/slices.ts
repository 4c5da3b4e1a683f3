/**
 * Three orthogonal slices of a volume as pixel grids, the way radiologists look at them: axial
 * (patient's right on the picture's left, anterior at the top), coronal (right on the left,
 * superior at the top) and sagittal (anterior on the left, superior at the top). Which voxel axis is
 * which comes from the orientation codes of the NIfTI affine (src/io orientation); a volume with no
 * clear orientation is shown along its voxel axes. Pixels are square in millimetres, so anisotropic
 * voxels keep their true proportions; each view gets its own scale (its longer side a fixed number
 * of pixels), so that the thin slab of a few thick slices still shows its in-plane view large.
 */

/** World axes of the orientation letters: R/L 0, A/P 1, S/I 2. */
const WORLD_AXIS: Record<string, number> = { R: 0, L: 0, A: 1, P: 1, S: 2, I: 2 };
const OPPOSITE: Record<string, string> = { R: 'L', L: 'R', A: 'P', P: 'A', S: 'I', I: 'S' };

export interface PlaneView {
  /** 'axial', 'coronal', 'sagittal', or e.g. 'voxel axis 3' without an orientation. */
  name: string;
  /** The voxel axis held fixed (0..2, NIfTI x, y, z). */
  fixedAxis: number;
  /** Voxel axis along the picture's columns; `hFlip`: the index decreases to the right. */
  hAxis: number;
  hFlip: boolean;
  /** Voxel axis along the picture's rows (top to bottom); `vFlip`: the index decreases downwards. */
  vAxis: number;
  vFlip: boolean;
  /** Anatomical direction at each edge of the picture ('' when unknown). */
  edges: { left: string; right: string; top: string; bottom: string };
}

/** [name, fixed world axis, world axis to the right and the letter it points to, world axis downwards and its letter]. */
const PLANES: [string, number, string, string][] = [
  ['axial', 2, 'L', 'P'],
  ['coronal', 1, 'L', 'I'],
  ['sagittal', 0, 'P', 'I'],
];

/** The three views of a volume with orientation codes like 'RAS' or 'LPS' (one letter per voxel axis). */
export function planeViews(orientation: string): PlaneView[] {
  const world = [...orientation].map((c) => WORLD_AXIS[c]);
  const known = world.length === 3 && new Set(world).size === 3 && world.every((w) => w !== undefined);
  if (!known) {
    // Unknown orientation: the voxel axes as they are, first index at the top left.
    return [[2, 0, 1], [1, 0, 2], [0, 1, 2]].map(([f, h, v]) => ({
      name: `voxel axis ${f! + 1} fixed`, fixedAxis: f!, hAxis: h!, hFlip: false, vAxis: v!, vFlip: false,
      edges: { left: '', right: '', top: '', bottom: '' },
    }));
  }
  const axisOfWorld = (w: number) => world.indexOf(w);
  return PLANES.map(([name, fixedWorld, right, down]) => {
    const hAxis = axisOfWorld(WORLD_AXIS[right]!);
    const vAxis = axisOfWorld(WORLD_AXIS[down]!);
    return {
      name, fixedAxis: axisOfWorld(fixedWorld), hAxis, vAxis,
      // orientation letter = the direction in which the voxel index increases
      hFlip: orientation[hAxis] !== right,
      vFlip: orientation[vAxis] !== down,
      edges: { left: OPPOSITE[right]!, right, top: OPPOSITE[down]!, bottom: down },
    };
  });
}

/** A picture's pixels as voxel indices (x + nx * (y + ny * z)) of the volume. */
export interface SliceGrid {
  width: number;
  height: number;
  voxel: Int32Array;
}

/** Millimetres per pixel for a picture of one view whose longer side is `longSide` pixels. */
export function millimetresPerPixel(shape: readonly number[], spacing: readonly number[], view: PlaneView, longSide: number): number {
  return Math.max(shape[view.hAxis]! * spacing[view.hAxis]!, shape[view.vAxis]! * spacing[view.vAxis]!) / longSide;
}

/** The pixel grid of one view through voxel index `at` of its fixed axis, `mmPerPixel` per pixel (nearest voxel). */
export function sliceGrid(shape: readonly number[], spacing: readonly number[], view: PlaneView, at: number, mmPerPixel: number): SliceGrid {
  const n = shape;
  const extentH = n[view.hAxis]! * spacing[view.hAxis]!;
  const extentV = n[view.vAxis]! * spacing[view.vAxis]!;
  const width = Math.max(1, Math.round(extentH / mmPerPixel));
  const height = Math.max(1, Math.round(extentV / mmPerPixel));
  const strides = [1, n[0]!, n[0]! * n[1]!];
  const pick = (pixel: number, pixels: number, axis: number, flip: boolean): number => {
    const count = n[axis]!;
    const i = Math.min(count - 1, Math.floor(((pixel + 0.5) / pixels) * count));
    return flip ? count - 1 - i : i;
  };
  const colOffset = Int32Array.from({ length: width }, (_, j) => pick(j, width, view.hAxis, view.hFlip) * strides[view.hAxis]!);
  const fixed = Math.min(n[view.fixedAxis]! - 1, Math.max(0, at)) * strides[view.fixedAxis]!;
  const voxel = new Int32Array(width * height);
  for (let r = 0; r < height; r++) {
    const rowOffset = fixed + pick(r, height, view.vAxis, view.vFlip) * strides[view.vAxis]!;
    for (let j = 0; j < width; j++) voxel[r * width + j] = rowOffset + colOffset[j]!;
  }
  return { width, height, voxel };
}

/** Mean voxel position of the nonzero voxels (null when there are none). */
export function centreOfMass(labels: ArrayLike<number>, shape: readonly number[]): [number, number, number] | null {
  const [nx, ny] = [shape[0]!, shape[1]!];
  let sx = 0, sy = 0, sz = 0, count = 0;
  for (let i = 0; i < labels.length; i++) {
    if (!labels[i]) continue;
    const x = i % nx, y = Math.floor(i / nx) % ny, z = Math.floor(i / (nx * ny));
    sx += x; sy += y; sz += z; count++;
  }
  return count ? [sx / count, sy / count, sz / count] : null;
}

/** Nonzero voxels of each slice along `axis`. */
export function crossSections(labels: ArrayLike<number>, shape: readonly number[], axis: number): number[] {
  const [nx, ny] = [shape[0]!, shape[1]!];
  const out = new Array<number>(shape[axis]!).fill(0);
  for (let i = 0; i < labels.length; i++) {
    if (!labels[i]) continue;
    const c = axis === 0 ? i % nx : axis === 1 ? Math.floor(i / nx) % ny : Math.floor(i / (nx * ny));
    out[c]!++;
  }
  return out;
}

/**
 * Where to cut each axis: through the centre of mass of the structure, except where that slice
 * misses it (a curved structure), then through its largest cross-section; the middle without one.
 */
export function sliceCentre(labels: ArrayLike<number>, shape: readonly number[]): [number, number, number] {
  const com = centreOfMass(labels, shape);
  if (!com) return [0, 1, 2].map((a) => Math.floor(shape[a]! / 2)) as [number, number, number];
  return [0, 1, 2].map((a) => {
    const sections = crossSections(labels, shape, a);
    const at = Math.min(shape[a]! - 1, Math.round(com[a]!));
    if (sections[at]! > 0) return at;
    return sections.indexOf(Math.max(...sections));
  }) as [number, number, number];
}
