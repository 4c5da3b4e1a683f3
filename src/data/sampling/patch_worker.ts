/**
 * Worker side of the batch loader: holds the shared cases and answers "batch k" with that batch's
 * cropped patches, and (when the loader asks for it) augments them too, on the tensor engine in
 * this thread, so the training loop only wraps finished arrays. Results are typed arrays,
 * transferred, not copied. Batch k's randomness depends only on the loader seed and k, so results
 * do not depend on which worker ran it or when.
 */
import { workerData } from 'node:worker_threads';
import { serveTasks } from '../../util/worker_pool.js';
import { Random } from '../../util/random.js';
import { type CaseArrays, type PatchBatch, type PatchSamplerOptions, PatchSampler } from './patch_sampler.js';
import { augmentSeed, cropSeed } from './loader_seeds.js';
import type { AppliedParams, TrainingAugmentOptions } from '../augment/pipeline.js';
import type { Scale3 } from '../../util/triple.js';

export interface WorkerAugmentation {
  /** null: no transforms (validation), only the deep-supervision targets. */
  transforms: TrainingAugmentOptions | null;
  dsScales: Scale3[];
  /** libtorch threads for this worker (the training step keeps the others). */
  threads: number;
}
export interface PatchWorkerData { cases: CaseArrays[]; sampler: PatchSamplerOptions; seed: number; augment?: WorkerAugmentation }
export interface PatchTask { index: number }

/** A batch augmented in a worker: final image and deep-supervision targets (int8, -1 = ignore). */
export interface AugmentedArrays {
  image: Float32Array;
  imageShape: number[];
  targets: Int8Array[];
  targetShapes: number[][];
  applied: AppliedParams[];
}
export type WorkerBatch = PatchBatch & { augmented?: AugmentedArrays };

const data = workerData as PatchWorkerData;
const sampler = new PatchSampler(data.sampler);

async function augmenter(a: WorkerAugmentation): Promise<(p: PatchBatch, index: number) => AugmentedArrays> {
  const T = await import('../../tensor/index.js');
  const { augmentBatch, trainingTransforms } = await import('../augment/pipeline.js');
  T.setThreads(a.threads);
  const transforms = a.transforms ? trainingTransforms(a.transforms) : [];
  return (p, index) => T.tidy(() => {
    const shape = [p.draws.length, p.channels, ...p.cropSize];
    const image = T.tensor(p.image, shape);
    const label = T.tensor(p.label, [p.draws.length, 1, ...p.cropSize]);
    const out = augmentBatch(image, label, transforms, new Random(augmentSeed(data.seed, index)), a.dsScales);
    return {
      image: out.image.toTypedArray<'float32'>(),
      imageShape: out.image.shape,
      targets: out.target.map((t) => t.to('int8').toTypedArray<'int8'>()),
      targetShapes: out.target.map((t) => t.shape),
      applied: out.applied,
    };
  });
}

const augment = data.augment ? await augmenter(data.augment) : null;

serveTasks<PatchTask, WorkerBatch>(async (task) => {
  const patches = sampler.sampleBatch(data.cases, new Random(cropSeed(data.seed, task.index)));
  if (!augment) return patches;
  // The raw crop stays here: only the (smaller) augmented patch travels back.
  const augmented = augment(patches, task.index);
  return { ...patches, image: new Float32Array(0), label: new Int8Array(0), augmented };
});
