/** Per-batch random streams of the batch loader: crop and augmentation draws of batch k depend only on (seed, k). */
import { mixSeed } from '../../util/random.js';

export const cropSeed = (seed: number, batchIndex: number): number => mixSeed(seed, batchIndex, 1);
export const augmentSeed = (seed: number, batchIndex: number): number => mixSeed(seed, batchIndex, 2);
