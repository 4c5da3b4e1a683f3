/**
 * Voxel-based memory estimates of the steps that hold whole cases: the fingerprint's read of a
 * case, preprocessing a case, and predicting one. The guards (util/memory.ts) compare them with the
 * free memory before the step starts.
 *
 * Preprocessing and the fingerprint were measured with bench/preprocess_memory.ts (peak RSS growth of
 * a process preprocessing one case, inline): on the BraTS sample brats_2013_pat0005_1 (240 x 240 x 155
 * voxels, float32, 5 label values) with 1 and 2 channels at target spacings 0.5 to 2 mm, and on
 * hippocampus_004 (36 x 52 x 38, 3 label values) at 0.2 and 0.3 mm:
 *
 *   case, channels, spacing   input voxels  output voxels  peak growth
 *   BraTS, 2, 0.5 mm           8.93 M        71.4 M         1373 MB
 *   BraTS, 2, 0.7 mm           8.93 M        26.0 M          724 MB
 *   BraTS, 2, 1 x 1 x 0.6 mm   8.93 M        14.9 M          584 MB
 *   BraTS, 2, 2 mm             8.93 M         1.12 M         346 MB
 *   BraTS, 1, 0.5 mm           8.93 M        71.4 M         1034 MB
 *   BraTS, 1, 0.7 mm           8.93 M        26.0 M          556 MB
 *   hippocampus, 1, 0.2 mm     0.071 M        8.89 M         175 MB
 *   hippocampus, 1, 0.3 mm     0.071 M        2.64 M          66 MB
 *
 * The BraTS rows fit 24 + 8 x channels bytes per input voxel plus 7 + 4 x channels per output voxel.
 * Small cases cost more per output voxel (up to 20 bytes): the label is resampled once per label
 * value and V8 frees those temporaries late when its heap is small. The estimate takes the upper
 * envelope (16 + 4 x channels per output voxel, a fixed 32 MB per case) and a 10% margin: it is
 * 1.3 to 1.8 times the measured peaks above.
 */
export const MEMORY_MODEL = {
  preprocess: { perInputVoxel: { base: 24, perChannel: 8 }, perOutputVoxel: { base: 16, perChannel: 4 } },
  /** Fingerprint of one case: 201 MB (1 channel), 255 MB (2 channels) for the 8.9 M-voxel BraTS case. */
  fingerprint: { perInputVoxel: { base: 17, perChannel: 6 } },
  perCase: 32 * 2 ** 20,
  margin: 1.1,
  /** A worker thread's own engine and heap. */
  perWorker: 64 * 2 ** 20,
} as const;

const bytes = (voxels: number, c: { base: number; perChannel: number }, channels: number): number => voxels * (c.base + c.perChannel * channels);

/** Peak bytes of preprocessing one case: `inputVoxels` as read, `outputVoxels` after resampling. */
export function preprocessMemoryBytes(inputVoxels: number, outputVoxels: number, channels: number): number {
  const m = MEMORY_MODEL.preprocess;
  return MEMORY_MODEL.margin * (MEMORY_MODEL.perCase + bytes(inputVoxels, m.perInputVoxel, channels) + bytes(outputVoxels, m.perOutputVoxel, channels));
}

/** Peak bytes of fingerprinting one case. */
export function fingerprintMemoryBytes(inputVoxels: number, channels: number): number {
  return MEMORY_MODEL.margin * (MEMORY_MODEL.perCase + bytes(inputVoxels, MEMORY_MODEL.fingerprint.perInputVoxel, channels));
}

export interface InferenceMemoryInput {
  /** Voxels of the input image (one channel) and of the case resampled to the plan's spacing. */
  inputVoxels: number;
  resampledVoxels: number;
  channels: number;
  classes: number;
  /** The network's own need for one forward pass of a window batch (activations, weights); 0 if unknown. */
  windowBytes?: number;
}

/**
 * Peak bytes of predicting one case: the largest of its three stages, each from the arrays it holds.
 * 1. the case read and preprocessed like a training case; 2. the sliding window: the image, the
 * float32 logit accumulator and the window weights on the resampled grid, plus the network's part;
 * 3. export: the logits, and the class probabilities resampled back to the input grid with its label map.
 */
export function inferenceMemoryBytes(o: InferenceMemoryInput): number {
  const preprocess = preprocessMemoryBytes(o.inputVoxels, o.resampledVoxels, o.channels);
  const window = MEMORY_MODEL.margin * o.resampledVoxels * 4 * (o.channels + o.classes + 1) + (o.windowBytes ?? 0);
  const exportBack = MEMORY_MODEL.margin * (o.resampledVoxels * 4 * o.classes + o.inputVoxels * (4 * o.classes + 1));
  return Math.max(preprocess, window, exportBack);
}
