/**
 * Training / validation batch loader.
 *
 * Design: workers (util/worker_pool.ts: persistent, results in submission order) prepare batches
 * ahead of the consumer, up to `prefetch` of them (a bounded queue), so the training step does not
 * wait for data.
 * - Each worker draws cases and patch boxes (the nnU-Net oversampling rule), crops + pads the
 *   patches from the cases in shared memory, and, by default, augments them on its own tensor
 *   engine (one libtorch thread each) and builds the deep-supervision targets. Results come back
 *   as transferred typed arrays; the main thread only wraps them as tensors.
 * - With batches on a GPU (`device`), workers only crop; the main thread moves the patches to
 *   the device and augments there, where it is fast.
 * Batch k's randomness comes only from (seed, k), so the sequence of batches is the same for any
 * number of workers, including 0 (everything inline, for debugging and tests).
 *
 * Usage: `for await (const batch of loader) { ...; batch.dispose(); }` (leaving the loop closes
 * the loader), or `await loader.next()` ... `await loader.close()`. Each batch's tensors belong to
 * the caller, outside any tidy scope: dispose them when done.
 */
import { availableParallelism } from 'node:os';
import { type Device, type Tensor, tensor, tidy } from '../../tensor/index.js';
import { Random } from '../../util/random.js';
import { WorkerPool } from '../../util/worker_pool.js';
import type { Shape3 } from '../../util/triple.js';
import { initialPatchSize, initialPatchSize2d } from './initial_patch_size.js';
import { augmentSeed, cropSeed } from './loader_seeds.js';
import type { PatchTask, PatchWorkerData, WorkerBatch } from './patch_worker.js';
import { type CaseArrays, type PatchDraw, type PatchSamplerOptions, PatchSampler } from './patch_sampler.js';
import { shareCase } from './shared_cases.js';
import { type AppliedParams, type TrainingAugmentOptions, augmentBatch, trainingTransforms, useDummy2d } from '../augment/pipeline.js';
import type { Scale3 } from '../../util/triple.js';
import { DEFAULT_DS_SCALES } from '../augment/deep_supervision.js';
import type { LabelInterpolation } from '../augment/spatial.js';
import type { SampleTransform } from '../augment/types.js';

export interface LoaderOptions {
  cases: readonly CaseArrays[];
  /** The patch the network sees. */
  patchSize: Shape3;
  batchSize: number;
  seed: number;
  /** Training augmentation (default true); false gives validation batches (plain patches + targets). */
  augment?: boolean;
  /** The crop before the spatial transform; default nnU-Net's enlarged initial patch (initial_patch_size.ts) when augmenting, else patchSize. */
  cropSize?: Shape3;
  oversampleForeground?: number;
  deepSupervisionScales?: readonly Scale3[];
  labelInterpolation?: LabelInterpolation;
  maxRotation?: number;
  mirrorAxes?: number[];
  /** Channels normalised inside the non-zero mask (plan channels[].useMask); zeroed outside the body after augmenting. */
  maskedChannels?: number[];
  /** Patch workers; 0 crops on the main thread. Default: available cores - 1, at most 4. */
  workers?: number;
  /** Batches cropped ahead of the consumer (the bounded queue). Default max(2, 2 * workers). */
  prefetch?: number;
  /** Where batch tensors (and the augmentation) live; default the CPU. */
  device?: Device;
  /** Stop after this many batches (default: never). */
  numBatches?: number;
  /**
   * Augment in the workers (on their own engine threads) instead of in `next()`, so the training
   * step never waits for augmentation. Default: on whenever there are workers and the batches stay
   * on the CPU (GPU augmentation runs in `next()` on the device).
   */
  augmentInWorkers?: boolean;
  /** libtorch threads each worker augments with (default 1). */
  workerThreads?: number;
  /** nnU-Net's slice-wise (dummy 2-D) augmentation for anisotropic patches; default `useDummy2d(patchSize)`. */
  dummy2d?: boolean;
}

export interface Batch {
  index: number;
  /** [B, C, ...patchSize] float32. */
  image: Tensor;
  /** Deep-supervision targets, int64 [B, 1, ...patchSize * scale]; -1 = ignore. */
  target: Tensor[];
  keys: string[];
  /** How each sample's patch was drawn and which augmentations it got (for logs and tests). */
  draws: PatchDraw[];
  applied: AppliedParams[];
  dispose(): void;
}

export class BatchLoader implements AsyncIterable<Batch> {
  readonly patchSize: Shape3;
  readonly cropSize: Shape3;
  readonly batchSize: number;
  private readonly seed: number;
  private readonly sampler: PatchSampler;
  private readonly cases: readonly CaseArrays[];
  private readonly transforms: SampleTransform[];
  private readonly dsScales: readonly Scale3[];
  private readonly device: Device | undefined;
  private readonly numBatches: number;
  private readonly prefetch: number;
  private readonly pool: WorkerPool<PatchTask, WorkerBatch> | null = null;
  /** Batches requested from the workers, by index (the bounded queue). */
  private readonly requested = new Map<number, Promise<WorkerBatch>>();
  private nextToDispatch = 0;
  private nextToYield = 0;
  private failure: Error | null = null;
  private closed = false;

  constructor(o: LoaderOptions) {
    if (o.cases.length === 0) {
      throw new Error('BatchLoader: no cases to draw patches from (a split into training and validation cases needs at least two cases; '
        + 'with one case, train and validate on it: --fold all)');
    }
    const augment = o.augment ?? true;
    this.patchSize = [...o.patchSize];
    const dummy2d = o.dummy2d ?? useDummy2d(o.patchSize);
    this.cropSize = o.cropSize ? [...o.cropSize]
      : !augment ? [...o.patchSize]
      : dummy2d ? initialPatchSize2d(o.patchSize, o.maxRotation) : initialPatchSize(o.patchSize, o.maxRotation);
    this.batchSize = o.batchSize;
    this.seed = o.seed >>> 0;
    const samplerOptions: PatchSamplerOptions = {
      cropSize: this.cropSize, patchSize: this.patchSize, batchSize: o.batchSize, oversampleForeground: o.oversampleForeground,
    };
    this.sampler = new PatchSampler(samplerOptions);
    const transformOptions: TrainingAugmentOptions = {
      patchSize: this.patchSize, maxRotation: o.maxRotation, mirrorAxes: o.mirrorAxes, labelInterpolation: o.labelInterpolation, maskedChannels: o.maskedChannels,
      dummy2d,
    };
    this.transforms = augment ? trainingTransforms(transformOptions) : [];
    if (!augment && !this.cropSize.every((n, i) => n === this.patchSize[i])) {
      throw new Error('BatchLoader: without augmentation nothing crops to patchSize, so cropSize must equal it');
    }
    this.dsScales = o.deepSupervisionScales ?? DEFAULT_DS_SCALES;
    this.device = o.device;
    this.numBatches = o.numBatches ?? Infinity;
    const nWorkers = Math.max(0, Math.floor(o.workers ?? Math.min(4, availableParallelism() - 1)));
    this.prefetch = Math.max(1, o.prefetch ?? Math.max(2, 2 * nWorkers));
    const inWorkers = nWorkers > 0 && (o.augmentInWorkers ?? (!o.device || o.device === 'cpu'));
    if (nWorkers === 0) {
      this.cases = o.cases;
    } else {
      this.cases = [];
      const workerData: PatchWorkerData = {
        cases: o.cases.map(shareCase), sampler: samplerOptions, seed: this.seed,
        augment: inWorkers ? { transforms: augment ? transformOptions : null, dsScales: [...this.dsScales], threads: o.workerThreads ?? 1 } : undefined,
      };
      this.pool = new WorkerPool<PatchTask, WorkerBatch>({
        workerUrl: new URL('./patch_worker.js', import.meta.url), workers: nWorkers, workerData,
        perWorker: Math.ceil(this.prefetch / nWorkers), describe: (t) => `patch worker, batch ${t.index}`,
      });
      this.fillQueue();
    }
  }

  /** The next batch; rejects once `numBatches` were delivered or the loader was closed. */
  async next(): Promise<Batch> {
    if (this.closed) throw new Error('BatchLoader: closed');
    if (this.failure) throw this.failure;
    if (this.nextToYield >= this.numBatches) throw new Error('BatchLoader: all batches were delivered');
    const index = this.nextToYield++;
    let patches: WorkerBatch;
    try { patches = await this.patchesFor(index); } catch (err) {
      if (this.closed) throw new Error('BatchLoader: closed');
      this.failure ??= err as Error;
      throw this.failure;
    }
    this.fillQueue();
    return this.toBatch(index, patches);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.requested.clear();
    await this.pool?.close();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Batch> {
    try {
      while (!this.closed && this.nextToYield < this.numBatches) yield await this.next();
    } finally {
      await this.close();
    }
  }

  private patchesFor(index: number): Promise<WorkerBatch> {
    if (!this.pool) return Promise.resolve(this.sampler.sampleBatch(this.cases, new Random(cropSeed(this.seed, index))));
    const p = this.requested.get(index)!;
    this.requested.delete(index);
    return p;
  }

  private toBatch(index: number, p: WorkerBatch): Batch {
    const a = p.augmented;
    const out = a
      // A worker already augmented it: only wrapping is left (one copy each).
      ? tidy(() => ({
        image: tensor(a.image, a.imageShape),
        target: a.targets.map((t, i) => tensor(t, a.targetShapes[i]!).to('int64')),
        applied: a.applied,
      }))
      : tidy(() => {
        const [p0, p1, p2] = p.cropSize;
        let image = tensor(p.image, [this.batchSize, p.channels, p0, p1, p2]);
        let label = tensor(p.label, [this.batchSize, 1, p0, p1, p2]);
        if (this.device && this.device !== 'cpu') { image = image.toDevice(this.device); label = label.toDevice(this.device); }
        return augmentBatch(image, label, this.transforms, new Random(augmentSeed(this.seed, index)), this.dsScales);
      });
    return {
      index, image: out.image, target: out.target, keys: p.keys, draws: p.draws, applied: out.applied,
      dispose: () => { out.image.dispose(); out.target.forEach((t) => t.dispose()); },
    };
  }

  /** Keeps up to `prefetch` batches requested or ready ahead of the consumer. */
  private fillQueue(): void {
    if (!this.pool || this.closed || this.failure) return;
    while (this.nextToDispatch < Math.min(this.numBatches, this.nextToYield + this.prefetch)) {
      const index = this.nextToDispatch++;
      const p = this.pool.submit({ index });
      p.catch(() => {}); // seen by next(), or dropped by close()
      this.requested.set(index, p);
    }
  }
}
