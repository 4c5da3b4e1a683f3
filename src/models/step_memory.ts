/**
 * The memory of one training step as the trainer runs it (zeroGrad, forward, for TR the masked input
 * through the encoder without gradients, the loss, backward, gradient clipping, the optimiser step):
 * the memory guard's estimate (src/train/trainer.ts) and bench/method_step.ts's.
 *
 * Two parts, measured apart (bench/method_step.ts with bench/tools/live_heap_peak.c, which counts the
 * bytes malloc has handed out and not taken back; 1 thread, batch 2, 1 channel, 3 classes):
 *
 * - live bytes at the step's peak, counted from the layout. The peak is at the start of the backward
 *   pass: every saved activation is still held when the first gradients appear. Beyond the forward
 *   pass' activations (exact: network.activationBytes) it holds the loss' tensors, TR's masked pass and
 *   the first gradients. This count matched the measured peak within 1% for PSP-Seg S, S with one block
 *   per PRM and S with one branch, and was 2-3% above it for PlainUNet (4 and 6 stages), at 48^3, 64^3
 *   and 96^3. What the forward estimate alone missed is the same for every PSP-Seg S however many PRM
 *   branches it has (about 121 float32 maps of stage 0's resolution: 0.8 GB at 96^3, 1.9 GB at 128^3,
 *   against 0.5 GB per branch of the unpruned S's PRMs at 128^3): it is why the pruned network's step
 *   does not shrink as its activations do.
 * - the allocator. pspseg's addon tunes glibc so that freed memory is never returned to the OS (no
 *   trimming, no mmap; src/tensor/native.ts): a step then reuses the heap it has, and what does not fit
 *   into its holes grows the heap. Resident memory ends up a multiple of the live peak that no count
 *   predicts: it grew over the first 5-20 steps and settled between 1.4x and 2.2x the live peak
 *   (PSP-Seg S 1.4-1.7x, S with one block per PRM 2.0-2.2x, PlainUNet 1.8-2.1x; the pruned network's
 *   peak hardly drops for this reason too). ALLOCATOR_FACTOR covers the highest.
 */
import type { SegmentationNetwork } from './network.js';
import { ACTIVATION_BYTES_PER_ELEMENT, type FeatureShape, voxels } from './shapes.js';

/** Resident memory over live bytes at the step's peak, the highest measured (see above). */
export const ALLOCATOR_FACTOR = 2.2;

export interface StepMemoryOptions {
  /** TR's masked pass: the masked input through the encoder without gradients, and TR's loss on both encoders' features. */
  maskedEncoderPass: boolean;
  /** Optimiser state per parameter in float32 copies: SGD with momentum 1 (the default), AdamW 2. */
  optimizerSlots?: number;
}

/** Bytes of one training step, by part; `live` is their sum, `resident` what the process grows by. */
export interface StepMemory {
  /** Weights, gradients and the optimiser's state. */
  parameters: number;
  /** What the forward pass saves for backward, the input included (network.activationBytes). */
  activations: number;
  /** The targets (int64, one per output) and what the loss keeps for backward. */
  loss: number;
  /** TR: the masked input, its encoder features and the loss' normalised copies of them. */
  maskedPass: number;
  /** The first gradients of the backward pass, while every activation is still held. */
  backward: number;
  live: number;
  /** live x ALLOCATOR_FACTOR: how much the process' resident memory grows in training. */
  resident: number;
}

const floatMap = (s: FeatureShape, batch: number): number => s[0] * voxels(s) * batch * ACTIVATION_BYTES_PER_ELEMENT;

export function trainingStepMemory(net: SegmentationNetwork, patch: readonly number[], batch: number, o: StepMemoryOptions): StepMemory {
  const rows = net.layout(patch, batch);
  const shape = (r: { output: readonly number[] }): FeatureShape => r.output.slice(1) as FeatureShape;
  const encoder = rows.filter((r) => r.role === 'encoder').map(shape);
  const logits = rows.filter((r) => r.role === 'logits').map(shape);
  const encoderBytes = encoder.reduce((n, s) => n + floatMap(s, batch), 0);
  const largestEncoder = Math.max(0, ...encoder.map((s) => floatMap(s, batch)));
  const largestOutput = Math.max(0, ...rows.map((r) => floatMap(shape(r), batch)));

  const parameters = net.numParameters() * ACTIVATION_BYTES_PER_ELEMENT * (2 + (o.optimizerSlots ?? 1));
  const activations = net.activationBytes(patch, batch);
  // Per output: its int64 target; softmax's and log-softmax's outputs (saved for backward: `classes`
  // maps each); the Dice's one-hot and valid masks (bool, one byte a voxel).
  const loss = logits.reduce((n, s) => n + voxels(s) * batch * (8 + 2 * s[0] * ACTIVATION_BYTES_PER_ELEMENT + s[0]), 0);
  // The masked input, the encoder's outputs on it (held until the step ends) and TR's cosine
  // similarity's normalised copy of each (saved by its product).
  const maskedPass = o.maskedEncoderPass ? floatMap([net.inChannels, ...(patch as [number, number, number])], batch) + 2 * encoderBytes : 0;
  // The first block backward runs on (the full-resolution decoder stage) has two gradient maps of its
  // output in flight; TR's backward adds a gradient for every encoder output (held until the encoder's
  // backward reaches it) and one temporary of the largest.
  const backward = 2 * largestOutput + (o.maskedEncoderPass ? encoderBytes + largestEncoder : 0);
  const live = parameters + activations + loss + maskedPass + backward;
  return { parameters, activations, loss, maskedPass, backward, live, resident: ALLOCATOR_FACTOR * live };
}
