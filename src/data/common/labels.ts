/**
 * Label codes. Label maps are int8: class values 0..MAX_CLASS_VALUE (0 = background); negative values
 * are marks, never classes.
 * - Preprocessed label maps (from the crop on): OUTSIDE_BODY (-1) marks background outside the filled
 *   non-zero mask (nnU-Net's convention); normalisation and the loss tell it apart from tissue.
 * - Training batches: IGNORE_LABEL (-1) is padding outside the case, ignored by the loss. Outside-body
 *   voxels travel as OUTSIDE_BODY_IN_BATCH (-2) so they stay apart from padding; after augmentation
 *   they become background (nnU-Net's RemoveLabelTransform(-1, 0)) while padding stays ignored (docs/method.md, "Departures from the paper and the authors' code").
 */
export const MAX_CLASS_VALUE = 127;
export const OUTSIDE_BODY = -1;
export const IGNORE_LABEL = -1;
export const OUTSIDE_BODY_IN_BATCH = -2;
/** Image value of padding outside the case (nnU-Net's crop_and_pad_nd). */
export const IMAGE_PAD_VALUE = 0;

/** Re-marks a preprocessed label's outside-body voxels as OUTSIDE_BODY_IN_BATCH, in place. */
export function markOutsideBody(label: Int8Array): Int8Array {
  for (let i = 0; i < label.length; i++) if (label[i] === OUTSIDE_BODY) label[i] = OUTSIDE_BODY_IN_BATCH;
  return label;
}
