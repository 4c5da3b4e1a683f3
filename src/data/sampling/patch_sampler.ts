/**
 * Training patch sampling, nnU-Net v2 rules (nnUNetDataLoader.get_bbox / generate_train_batch):
 * - cases are drawn uniformly with replacement;
 * - sample j of a batch of B must contain foreground when j >= round(B * (1 - oversample)), oversample 0.33;
 * - a forced sample picks a random class among those present in the case, then a random stored voxel
 *   of that class as the patch centre; the patch start is clamped from below only (as nnU-Net does);
 * - otherwise the patch start is uniform in [lb, ub], which lets the patch reach past the border by
 *   half of (cropSize - patchSize), so the final (centre-cropped) patch can still touch it;
 * - whatever lies outside the case is padded: image 0, label -1 (ignored by the loss; common/labels.ts).
 * `cropSize` is the enlarged pre-augmentation crop (initial_patch_size.ts); `patchSize` the patch the
 * network sees after augmentation.
 */
import type { Shape3, Vec3 } from '../../util/triple.js';
import { roundHalfEven } from '../common/round.js';
import { IGNORE_LABEL, IMAGE_PAD_VALUE, markOutsideBody } from '../common/labels.js';
import { type PatchBox, cropInto } from './patch_crop.js';
import type { Random } from '../../util/random.js';

export const OVERSAMPLE_FOREGROUND = 0.33;

/**
 * One preprocessed case in memory. Arrays are C-order; `image` holds the channels one after
 * another ([C, d0, d1, d2]); `label` is [d0, d1, d2] with -1 outside the body. `classLocations`
 * maps each foreground class to flat indices into the spatial array (foreground_locations.ts).
 */
export interface CaseArrays {
  key: string;
  image: Float32Array;
  label: Int8Array;
  shape: [channels: number, d0: number, d1: number, d2: number];
  classLocations: ReadonlyMap<number, ArrayLike<number>>;
}

/** Adapts per-channel arrays (the preprocessing layout) to CaseArrays (one copy of the image; the label is re-marked in place). */
export function caseArraysFromChannels(
  key: string, channels: readonly Float32Array[], spatial: Shape3, label: Int8Array, classLocations: ReadonlyMap<number, ArrayLike<number>>,
): CaseArrays {
  const n = spatial[0] * spatial[1] * spatial[2];
  if (label.length !== n) throw new Error(`case ${key}: label has ${label.length} voxels, shape ${spatial.join('x')} needs ${n}`);
  const image = new Float32Array(channels.length * n);
  channels.forEach((ch, c) => {
    if (ch.length !== n) throw new Error(`case ${key}: channel ${c} has ${ch.length} voxels, shape ${spatial.join('x')} needs ${n}`);
    image.set(ch, c * n);
  });
  return { key, image, label: markOutsideBody(label), shape: [channels.length, ...spatial], classLocations };
}

export interface PatchSamplerOptions {
  /** The patch cropped from the case (the enlarged initial patch when augmenting). */
  cropSize: Shape3;
  /** The patch the network sees; cropSize - patchSize decides how far patches may reach past the border. */
  patchSize: Shape3;
  batchSize: number;
  oversampleForeground?: number;
}

/** Where one sample's patch came from (kept for inspection and tests). */
export interface PatchDraw {
  key: string;
  box: PatchBox;
  forced: boolean;
  /** The class whose voxel centred the patch; null for random patches (and forced ones on cases without foreground). */
  centreClass: number | null;
}

/** A batch of cropped patches as typed arrays: image [B, C, ...cropSize], label [B, 1, ...cropSize]. */
export interface PatchBatch {
  keys: string[];
  image: Float32Array;
  label: Int8Array;
  channels: number;
  cropSize: Shape3;
  draws: PatchDraw[];
}

export class PatchSampler {
  readonly cropSize: Shape3;
  readonly patchSize: Shape3;
  readonly batchSize: number;
  readonly oversampleForeground: number;
  private readonly needToPad: Vec3;

  constructor(o: PatchSamplerOptions) {
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${o.batchSize}`);
    for (let i = 0; i < 3; i++) {
      if (!(o.cropSize[i]! >= o.patchSize[i]!) || !(o.patchSize[i]! >= 1)) {
        throw new RangeError(`cropSize [${o.cropSize}] must be >= patchSize [${o.patchSize}] >= 1 on every axis`);
      }
    }
    this.cropSize = [...o.cropSize];
    this.patchSize = [...o.patchSize];
    this.batchSize = o.batchSize;
    this.oversampleForeground = o.oversampleForeground ?? OVERSAMPLE_FOREGROUND;
    this.needToPad = this.cropSize.map((p, i) => p - this.patchSize[i]!) as Vec3;
  }

  /** nnU-Net's _oversample_last_XX_percent (Python round: half to even). */
  isForced(sampleIndex: number): boolean {
    return sampleIndex >= roundHalfEven(this.batchSize * (1 - this.oversampleForeground));
  }

  /** The patch box for a case of spatial shape `spatial` (get_bbox). */
  sampleBox(spatial: Shape3, forced: boolean, classLocations: ReadonlyMap<number, ArrayLike<number>>, rng: Random): { box: PatchBox; centreClass: number | null } {
    const lb: number[] = [], ub: number[] = [];
    for (let d = 0; d < 3; d++) {
      // Pad more when even the enlarged margin cannot fit the patch (always on both sides).
      const pad = Math.max(this.needToPad[d]!, this.cropSize[d]! - spatial[d]!);
      lb.push(Math.floor(-pad / 2)); // Python's -pad // 2
      ub.push(spatial[d]! + Math.floor(pad / 2) + (pad % 2) - this.cropSize[d]!);
    }
    let centreClass: number | null = null;
    if (forced) {
      const eligible = [...classLocations.entries()].filter(([, locs]) => locs.length > 0).map(([cls]) => cls);
      if (eligible.length > 0) centreClass = rng.choice(eligible);
    }
    let lo: Vec3;
    if (centreClass !== null) {
      const locs = classLocations.get(centreClass)!;
      const voxel = unflatten(locs[rng.int(locs.length)]!, spatial);
      lo = [0, 1, 2].map((d) => Math.max(lb[d]!, voxel[d]! - Math.floor(this.cropSize[d]! / 2))) as Vec3;
    } else {
      lo = [0, 1, 2].map((d) => rng.intBetween(lb[d]!, ub[d]!)) as Vec3;
    }
    const hi = lo.map((v, d) => v + this.cropSize[d]!) as Vec3;
    return { box: { lo, hi }, centreClass };
  }

  /** Draws B cases (with replacement) and crops their patches. */
  sampleBatch(cases: readonly CaseArrays[], rng: Random): PatchBatch {
    if (cases.length === 0) throw new Error('PatchSampler: no cases to sample from');
    const channels = cases[0]!.shape[0];
    const [p0, p1, p2] = this.cropSize;
    const pn = p0 * p1 * p2;
    const image = new Float32Array(this.batchSize * channels * pn).fill(IMAGE_PAD_VALUE);
    const label = new Int8Array(this.batchSize * pn).fill(IGNORE_LABEL);
    const draws: PatchDraw[] = [];
    for (let j = 0; j < this.batchSize; j++) {
      const c = cases[rng.int(cases.length)]!;
      if (c.shape[0] !== channels) throw new Error(`case ${c.key} has ${c.shape[0]} channels, case ${cases[0]!.key} has ${channels}`);
      const spatial = c.shape.slice(1) as Shape3;
      const forced = this.isForced(j);
      const { box, centreClass } = this.sampleBox(spatial, forced, c.classLocations, rng);
      cropInto(c.image, channels, spatial, box, image, j * channels * pn);
      cropInto(c.label, 1, spatial, box, label, j * pn);
      draws.push({ key: c.key, box, forced, centreClass });
    }
    return { keys: draws.map((d) => d.key), image, label, channels, cropSize: [...this.cropSize], draws };
  }
}

function unflatten(index: number, [, d1, d2]: Shape3): Vec3 {
  const a = Math.floor(index / (d1 * d2)), r = index - a * d1 * d2;
  const b = Math.floor(r / d2);
  return [a, b, r - b * d2];
}
