/**
 * The memory of one training step as the trainer runs it (zeroGrad, forward, for TR the masked input
 * through the encoder without gradients, the loss, backward, gradient clipping, the optimiser step):
 * the estimate of the trainer's memory guard (src/train/trainer.ts) and of bench/method_step.ts.
 *
 * Two parts, measured apart with bench/method_step.ts and bench/tools/live_heap_peak.c (which counts the
 * bytes malloc has handed out and not taken back), batch 2, 1 channel, 3 classes, 1 thread, PlainUNet
 * (4 and 6 stages) and PSP-Seg S (all blocks, one block per PRM, one branch) at 48^3 to 112^3:
 *
 * - The live bytes at the step's peak, counted from the layout. The peak is early in the backward
 *   pass, while every saved activation is still held and the first gradients appear. Besides the
 *   forward pass' activations (network.activationBytes, exact) it holds the loss' tensors, TR's masked
 *   pass and those gradients: for PSP-Seg S about 121 float32 maps of stage 0's size (16 channels at
 *   full resolution: 0.8 GB at 96^3, 1.9 GB at 128^3, batch 2), the same however many PRM branches it has,
 *   which is why a pruned network's step shrinks less than its activations. The count was 0.3-1.7%
 *   above the measured live peak from 64^3 up (3-8% at 48^3, where the process' own small allocations
 *   weigh more).
 * - The allocator. pspseg's addon keeps freed memory for reuse rather than giving it back to the OS
 *   after every tensor (src/tensor/native.ts). With its huge-page allocator (native/src/allocator.cpp:
 *   each block of 1 MiB or more on its own mapping, freed mappings cached for blocks of the same size)
 *   the step's growth in resident memory was 1.13-1.15x the live count for PSP-Seg S, unpruned and with one
 *   branch per PRM, and 1.08-1.09x for PlainUNet, at 64^3 and 96^3 after 8 steps (2026-12-07, AMD EPYC).
 *   Where transparent huge pages are off, large blocks share glibc's heap with small objects and the heap
 *   fragments: 1.45-2.23x (1.45-1.7x for the unpruned S, 1.7-2.2x for S with one block or one branch per
 *   PRM, 1.6-2.23x for PlainUNet; growing over the first 5-20 steps and differing by up to 9% between two
 *   runs of one configuration). allocatorFactor() covers the highest of the allocator in use.
 */
import { engineConfig } from '../tensor/index.js';
import type { SegmentationNetwork } from './network.js';
import { ACTIVATION_BYTES_PER_ELEMENT, type FeatureShape, featureBytes, voxels } from './shapes.js';

/** Resident memory over live bytes at the step's peak, per allocator: the highest measured and a little margin (see above). */
export const ALLOCATOR_FACTORS = { 'huge-pages': 1.2, glibc: 2.3 } as const;

/** The factor of the allocator this process runs (engineConfig().allocator). */
export function allocatorFactor(): number {
  return ALLOCATOR_FACTORS[engineConfig().allocator.name];
}

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
  /** live x allocatorFactor(): how much the process' resident memory grows in training. */
  resident: number;
}

export function trainingStepMemory(net: SegmentationNetwork, patch: readonly number[], batch: number, o: StepMemoryOptions): StepMemory {
  const rows = net.layout(patch, batch);
  const shape = (r: { output: readonly number[] }): FeatureShape => r.output.slice(1) as FeatureShape;
  const encoder = rows.filter((r) => r.role === 'encoder').map(shape);
  const logits = rows.filter((r) => r.role === 'logits').map(shape);
  const encoderBytes = encoder.reduce((n, s) => n + featureBytes(s, batch), 0);
  const largestEncoder = Math.max(0, ...encoder.map((s) => featureBytes(s, batch)));
  const largestOutput = Math.max(0, ...rows.map((r) => featureBytes(shape(r), batch)));

  const parameters = net.numParameters() * ACTIVATION_BYTES_PER_ELEMENT * (2 + (o.optimizerSlots ?? 1));
  const activations = net.activationBytes(patch, batch);
  // Per output: its int64 target; softmax's and log-softmax's outputs (saved for backward: `classes`
  // maps each); the Dice's one-hot and valid masks (bool, one byte a voxel).
  const loss = logits.reduce((n, s) => n + voxels(s) * batch * (8 + 2 * s[0] * ACTIVATION_BYTES_PER_ELEMENT + s[0]), 0);
  // The masked input, the encoder's outputs on it (held until the step ends) and TR's cosine
  // similarity's normalised copy of each (saved by its product).
  const maskedPass = o.maskedEncoderPass ? featureBytes([net.inChannels, ...(patch as [number, number, number])], batch) + 2 * encoderBytes : 0;
  // The first block backward runs on (the full-resolution decoder stage) has two gradient maps of its
  // output in flight; TR's backward adds a gradient for every encoder output (held until the encoder's
  // backward reaches it) and one temporary of the largest.
  const backward = 2 * largestOutput + (o.maskedEncoderPass ? encoderBytes + largestEncoder : 0);
  const live = parameters + activations + loss + maskedPass + backward;
  return { parameters, activations, loss, maskedPass, backward, live, resident: allocatorFactor() * live };
}
