/**
 * Preprocessing of one loaded case, in nnU-Net v2's order (DefaultPreprocessor.run_case_npy):
 * transpose -> crop to non-zero -> normalise (on the original grid) -> resample to the target spacing
 * -> sample foreground locations. Everything needed to undo it (map_back.ts) goes into `properties`.
 */
import type { BBox3, Shape3, Spacing3 } from '../../util/triple.js';
import { permuteTriple, type Axes3 } from '../../util/triple.js';
import type { LoadedCase, NiftiGrid } from '../dataset/case_volumes.js';
import type { SourceFile } from '../dataset/case_sources.js';
import { cropToNonzero } from './crop.js';
import { sampleForegroundLocations } from './foreground_locations.js';
import { normalizationMask, normalizeChannel } from './normalize.js';
import { type PreprocessingPlan, foregroundClasses } from './preprocessing_plan.js';
import { seedFor } from '../common/draws.js';
import { computeNewShape, resampleImage } from './resample.js';
import { resampleLabel } from './resample_label.js';
import { transpose3 } from './transpose.js';

export interface CaseProperties {
  id: string;
  /** planHash() of the plan that produced this case; a resumed run redoes cases whose hash differs. */
  planHash: string;
  /** The files it was made from (size, mtime); a later run redoes the case when they change. */
  sources?: SourceFile[];
  /** The original image file's grid (NIfTI order), to write predictions with the input's geometry. */
  grid: NiftiGrid;
  transposeForward: Axes3;
  transposeBackward: Axes3;
  /** Transposed array shape before cropping (= the grid's reversed shape, permuted). */
  shapeBeforeCrop: Shape3;
  /** Crop box in the transposed array axes. */
  bbox: BBox3;
  shapeAfterCrop: Shape3;
  spacingBeforeResampling: Spacing3;
  spacingAfterResampling: Spacing3;
  /** Final (stored) array shape. */
  shape: Shape3;
  channels: number;
  /** Foreground voxels per class value in the stored label (before location sampling). */
  classVoxels: Record<string, number>;
}

export interface PreprocessedCase {
  properties: CaseProperties;
  /** One C-order array per channel, `properties.shape`. */
  images: Float32Array[];
  /** -1 outside the body (non-zero mask), else the class value. */
  label?: Int8Array;
  /** Class value -> flat indices into the stored arrays (sorted). */
  classLocations: Map<number, Uint32Array>;
}

/**
 * Label values outside the plan's labels would reach training as classes the network has no output
 * for ("Target 5 is out of bounds"): refuse them here, naming the values (the caller names the case:
 * preprocessing runs as worker tasks described by their case).
 */
export function assertPlannedLabels(label: Int8Array, plan: Pick<PreprocessingPlan, 'labels'>): void {
  const counts = new Float64Array(256);
  for (let i = 0; i < label.length; i++) counts[label[i]! + 128]!++;
  const planned = new Set(plan.labels.map((l) => l.value));
  const bad: string[] = [];
  counts.forEach((n, k) => { if (n > 0 && !planned.has(k - 128)) bad.push(`${k - 128} (${n} voxels)`); });
  if (bad.length) {
    throw new Error(`label values ${bad.join(', ')} are not among the plan's labels (${[...planned].sort((a, b) => a - b).join(', ')}); `
      + 'fix the label file, or declare the value in dataset.json and plan again');
  }
}

export function preprocessCase(c: LoadedCase, plan: PreprocessingPlan, hash: string): PreprocessedCase {
  if (c.images.length !== plan.channels.length) throw new Error(`${c.images.length} channel(s), the plan has ${plan.channels.length}`);
  if (c.label) assertPlannedLabels(c.label, plan);
  const tf = plan.transposeForward;
  const images = c.images.map((im) => transpose3(im, c.shape, tf).data);
  const label = c.label ? transpose3(c.label, c.shape, tf).data : undefined;
  const shapeBeforeCrop = permuteTriple(c.shape, tf);
  const spacing = permuteTriple(c.spacing, tf);

  const crop = cropToNonzero(images, shapeBeforeCrop, label);
  const normMask = normalizationMask(crop.mask, crop.label);
  crop.images.forEach((im, ch) => normalizeChannel(im, plan.channels[ch]!, normMask));

  const target = plan.targetSpacing;
  const newShape = computeNewShape(crop.shape, spacing, target);
  const rs = plan.resampling;
  const out = crop.images.map((im) => resampleImage(im, crop.shape, newShape, spacing, target, { ...rs.image, anisotropyThreshold: rs.anisotropyThreshold }));
  const outLabel = crop.label ? resampleLabel(crop.label, crop.shape, newShape, spacing, target, { ...rs.label, anisotropyThreshold: rs.anisotropyThreshold }) : undefined;

  const classLocations = outLabel
    ? sampleForegroundLocations(outLabel, foregroundClasses(plan), { ...plan.foregroundSampling, seed: seedFor(plan.foregroundSampling.seed, c.id) })
    : new Map<number, Uint32Array>();
  const classVoxels: Record<string, number> = {};
  if (outLabel) for (const cls of foregroundClasses(plan)) classVoxels[cls] = 0;
  if (outLabel) for (let i = 0; i < outLabel.length; i++) { const v = outLabel[i]!; if (v > 0) classVoxels[v] = (classVoxels[v] ?? 0) + 1; }

  return {
    properties: {
      id: c.id,
      planHash: hash,
      grid: c.grid,
      transposeForward: [...tf],
      transposeBackward: [...plan.transposeBackward],
      shapeBeforeCrop,
      bbox: crop.bbox,
      shapeAfterCrop: crop.shape,
      spacingBeforeResampling: spacing,
      spacingAfterResampling: [...target],
      shape: newShape,
      channels: out.length,
      classVoxels,
    },
    images: out,
    label: outLabel,
    classLocations,
  };
}
