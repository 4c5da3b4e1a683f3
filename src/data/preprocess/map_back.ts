/**
 * Mapping a prediction on a preprocessed case back to the original image grid (nnU-Net's
 * convert_predicted_logits_to_segmentation_with_correct_shape): resample to the cropped shape (label
 * maps by the plan's label rule, resample_label.ts; per-class probabilities or logits linearly, then
 * argmax), paste into the uncropped array (background outside the crop box), undo the transpose. The
 * result is a label Volume on the input file's grid, ready for writeNifti.
 */
import type { Volume } from '../../io/volume.js';
import type { CaseProperties } from './preprocess_case.js';
import { pasteCrop } from './crop.js';
import { voxelCount } from '../../util/triple.js';
import { MAX_CLASS_VALUE } from '../common/labels.js';
import { DEFAULT_RESAMPLING, type ResamplingPlan, resampleChannelsArgmax } from './resample.js';
import { resampleLabel } from './resample_label.js';
import { transpose3 } from './transpose.js';

/** A label map (class values; negatives count as background) or one map per class (index = class). */
export type Prediction = Int8Array | Uint8Array | readonly Float32Array[];

export function mapBack(prediction: Prediction, properties: CaseProperties, resampling: ResamplingPlan = DEFAULT_RESAMPLING): Volume {
  const p = properties;
  const n = voxelCount(p.shape);
  const current = p.spacingAfterResampling, target = p.spacingBeforeResampling;
  let cropped: Uint8Array;
  if (ArrayBuffer.isView(prediction)) {
    if (prediction.length !== n) throw new Error(`mapBack(${p.id}): prediction has ${prediction.length} voxels, the case ${p.shape.join('x')}`);
    const label = new Int8Array(n);
    for (let i = 0; i < n; i++) {
      const v = prediction[i]!;
      if (v > MAX_CLASS_VALUE) throw new Error(`mapBack(${p.id}): class value ${v} does not fit the int8 label range`);
      label[i] = v > 0 ? v : 0;
    }
    const r = resampleLabel(label, p.shape, p.shapeAfterCrop, current, target, { ...resampling.label, anisotropyThreshold: resampling.anisotropyThreshold });
    cropped = new Uint8Array(r.buffer, r.byteOffset, r.length);
  } else {
    const maps = prediction as readonly Float32Array[];
    maps.forEach((m, c) => { if (m.length !== n) throw new Error(`mapBack(${p.id}): class map ${c} has ${m.length} voxels, the case ${p.shape.join('x')}`); });
    cropped = resampleChannelsArgmax(maps, p.shape, p.shapeAfterCrop, current, target, { ...resampling.probabilities, anisotropyThreshold: resampling.anisotropyThreshold });
  }
  const full = pasteCrop(cropped, p.shapeBeforeCrop, p.bbox, 0);
  const data = transpose3(full, p.shapeBeforeCrop, p.transposeBackward).data;
  return {
    shape: [...p.grid.shape],
    channels: 1,
    spacing: [...p.grid.spacing],
    affine: p.grid.affine.map((r) => [...r]),
    orientation: p.grid.orientation,
    data,
    datatype: 'uint8',
    header: p.grid.header,
  };
}
