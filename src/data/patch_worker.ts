/**
 * Worker side of the batch loader: holds the shared cases and answers "batch k" with that batch's
 * cropped patches (typed arrays, transferred, not copied). Batch k's randomness depends only on the
 * loader seed and k, so results do not depend on which worker ran it or when.
 */
import { workerData } from 'node:worker_threads';
import { serveTasks } from '../util/worker_pool.js';
import { Random } from '../util/random.js';
import { type CaseArrays, type PatchBatch, type PatchSamplerOptions, PatchSampler } from './sampling.js';
import { cropSeed } from './loader_seeds.js';

export interface PatchWorkerData { cases: CaseArrays[]; sampler: PatchSamplerOptions; seed: number }
export interface PatchTask { index: number }

const data = workerData as PatchWorkerData;
const sampler = new PatchSampler(data.sampler);

serveTasks<PatchTask, PatchBatch>(async (task) => sampler.sampleBatch(data.cases, new Random(cropSeed(data.seed, task.index))));
