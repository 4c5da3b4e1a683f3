/**
 * From logits on the preprocessed grid to results on the input's grid (nnU-Net's
 * convert_predicted_logits_to_segmentation_with_correct_shape): logits are resampled to the cropped
 * shape with the plan's probability resampling (order 1, nearest along a separate-z axis), then argmax
 * (labels) or softmax (probabilities); the crop is pasted into the original array (background outside:
 * label 0, probability 1 for class 0 and 0 for the others) and the transpose undone.
 */
import type { Volume } from '../io/volume.js';
import type { Shape3 } from '../util/triple.js';
import { voxelCount } from '../util/triple.js';
import { mapBack } from '../data/preprocess/map_back.js';
import type { ResamplingPlan } from '../data/preprocess/resample.js';
import type { CaseProperties } from '../data/preprocess/preprocess_case.js';
import { pasteCrop } from '../data/preprocess/crop.js';
import { axisOrders, resampleWithOrders } from '../data/preprocess/resample.js';
import { transpose3 } from '../data/preprocess/transpose.js';

/** The label map on the input's grid (uint8), ready for writeNifti: mapBack resamples the logits and takes the argmax. */
export function labelVolume(logits: readonly Float32Array[], properties: CaseProperties, resampling: ResamplingPlan): Volume {
  return mapBack(logits, properties, resampling);
}

export interface ProbabilityMaps {
  /** [classes, ...input array shape] with the input array in C order = reversed NIfTI axes (z, y, x). */
  shape: [number, number, number, number];
  /** One C-order array per class. */
  maps: Float32Array[];
}

/** In place: per voxel softmax over the class arrays (max-subtracted, in float64). */
export function softmaxChannels(channels: Float32Array[]): void {
  const n = channels[0]?.length ?? 0;
  const e = new Float64Array(channels.length);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (const ch of channels) if (ch[i]! > max) max = ch[i]!;
    let sum = 0;
    channels.forEach((ch, c) => { e[c] = Math.exp(ch[i]! - max); sum += e[c]!; });
    channels.forEach((ch, c) => { ch[i] = e[c]! / sum; });
  }
}

/** Index of the largest channel per voxel (the first on ties, as numpy's argmax). */
export function argmaxChannels(channels: readonly Float32Array[]): Uint8Array {
  if (channels.length > 256) throw new Error(`${channels.length} classes do not fit uint8 labels`);
  const n = channels[0]?.length ?? 0;
  const out = new Uint8Array(n);
  const best = new Float32Array(n).fill(-Infinity);
  channels.forEach((ch, c) => { for (let i = 0; i < n; i++) if (ch[i]! > best[i]!) { best[i] = ch[i]!; out[i] = c; } });
  return out;
}

/** Labels and softmax probabilities on the input's grid: the logits are resampled once for both. */
export function labelAndProbabilities(logits: readonly Float32Array[], properties: CaseProperties, resampling: ResamplingPlan):
  { label: Volume; probabilities: ProbabilityMaps } {
  const p = properties;
  const orders = axisOrders(p.spacingAfterResampling, p.spacingBeforeResampling, { ...resampling.probabilities, anisotropyThreshold: resampling.anisotropyThreshold });
  const cropped = logits.map((ch) => {
    const r = resampleWithOrders(ch, p.shape, p.shapeAfterCrop, orders);
    return r === ch ? Float32Array.from(ch) : r; // softmax works in place: never on the caller's arrays
  });
  softmaxChannels(cropped);
  const labelCropped = argmaxChannels(cropped);
  // The label is already on the cropped grid: mapBack with matching shapes and spacings only pastes and transposes.
  const label = mapBack(labelCropped, { ...p, shape: p.shapeAfterCrop, spacingAfterResampling: p.spacingBeforeResampling }, resampling);
  let outShape: Shape3 = p.shapeBeforeCrop;
  const maps = cropped.map((prob, c) => {
    const full = pasteCrop(prob, p.shapeBeforeCrop, p.bbox, c === 0 ? 1 : 0);
    const t = transpose3(full, p.shapeBeforeCrop, p.transposeBackward);
    outShape = t.shape;
    return t.data;
  });
  if (voxelCount(outShape) !== label.data.length) throw new Error(`probabilities ${outShape.join('x')} and labels disagree in size`);
  return { label, probabilities: { shape: [maps.length, ...outShape], maps } };
}
