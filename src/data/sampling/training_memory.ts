/**
 * The memory guard of a training step. The network's part (activations of a forward and backward
 * pass at the patch and batch, weights, gradients, optimiser state) comes from the model layer as
 * `bytesPerStep`; the batches the loader holds are added here: each prefetched batch holds the
 * cropped patches (enlarged for the spatial augmentation) and, while it is augmented, about as much again.
 */
import { formatXYZ } from '../common/axes.js';
import type { Axes3, Shape3 } from '../../util/triple.js';
import { voxelCount } from '../../util/triple.js';
import { availableMemory, guardMemory } from '../../util/memory.js';

export interface TrainingMemoryInput {
  /** The network's estimate of one training step (forward + backward + optimiser), bytes. */
  bytesPerStep: number;
  /** The network's patch, in its array order (plan.patchSize). */
  patchSize: Shape3;
  /** The plan's transposeForward, to name the patch's axes in the message. */
  transposeForward?: Axes3;
  batchSize: number;
  channels: number;
  /** Loader workers and batches prepared ahead (BatchLoader defaults when unset). */
  loaderWorkers?: number;
  prefetch?: number;
  /** What the step is, for the message (default 'a training step'). */
  what?: string;
}

/** Bytes the loader's queued batches hold: image channels and the label, float32, over the enlarged crop, twice while augmenting. */
export function loaderMemoryBytes(o: Pick<TrainingMemoryInput, 'patchSize' | 'batchSize' | 'channels' | 'loaderWorkers' | 'prefetch'>): number {
  const workers = o.loaderWorkers ?? 4;
  const prefetch = o.prefetch ?? Math.max(2, 2 * workers);
  const cropVoxels = voxelCount(o.patchSize) * 1.5 ** 3; // the spatial augmentation's enlarged crop (initial_patch_size.ts), bounded
  return prefetch * o.batchSize * cropVoxels * 4 * (o.channels + 1) * 2;
}

/** The whole estimate of training at this patch and batch. */
export function trainingMemoryBytes(o: TrainingMemoryInput): number {
  return o.bytesPerStep + loaderMemoryBytes(o);
}

/** Throws MemoryGuardError naming the patch, the batch and what to change when training would not fit. */
export function guardTrainingMemory(o: TrainingMemoryInput, available = availableMemory()): void {
  guardMemory({
    what: `${o.what ?? 'a training step'} at patch ${formatXYZ(o.patchSize, o.transposeForward)}, batch ${o.batchSize}, ${o.channels} channel(s)`,
    bytes: trainingMemoryBytes(o),
    remedies: ['a smaller patch (patchSize in plan.json, or a smaller plan --budget)', 'a smaller batch (batchSize in plan.json)', 'fewer loader workers'],
  }, available);
}
