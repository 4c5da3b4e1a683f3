/**
 * Data-parallel training (nnU-Net's DDP semantics) on a c10d process group: which part of the global batch
 * a rank trains, its own seed streams, and the reductions that keep every rank's view of the run identical
 * (epoch means, validation counts, pruning scores, the architecture). The ranks meet through the standard
 * variables torchrun and Slurm set: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT.
 */
import { createHash } from 'node:crypto';
import { ProcessGroup, distributedBackends, noGrad, tensor, tidy } from '../tensor/index.js';
import { roundHalfEven } from '../data/common/round.js';
import { mixSeed } from '../util/random.js';

export interface DataParallel {
  group: ProcessGroup;
  rank: number;
  worldSize: number;
  /** This rank's index on its machine (its GPU on CUDA). */
  localRank: number;
}

/** How long a collective may wait for the other ranks before the run stops with an error (PSPSEG_DIST_TIMEOUT, seconds). */
export const DEFAULT_DIST_TIMEOUT_S = 600;

const intVar = (env: NodeJS.ProcessEnv, name: string, min: number): number => {
  const raw = env[name]!;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new Error(`${name}=${raw}: expected an integer >= ${min}`);
  return v;
};

/** Whether the environment makes this process one rank of several (WORLD_SIZE above 1, as torchrun sets it). */
export function isRankOfGroup(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.WORLD_SIZE !== undefined && env.WORLD_SIZE !== '1';
}

/**
 * The group this process belongs to, from the environment: null when WORLD_SIZE is unset or 1 (one process,
 * today's trainer with no distributed overhead). Joining waits for every rank (rank 0 serves the store).
 */
export function joinFromEnvironment(env: NodeJS.ProcessEnv = process.env): DataParallel | null {
  if (!isRankOfGroup(env)) return null;
  const worldSize = intVar(env, 'WORLD_SIZE', 1);
  for (const name of ['RANK', 'MASTER_ADDR', 'MASTER_PORT'])
    if (env[name] === undefined) throw new Error(`WORLD_SIZE=${worldSize} but ${name} is not set (set RANK, MASTER_ADDR and MASTER_PORT too, as torchrun does)`);
  const rank = intVar(env, 'RANK', 0);
  if (rank >= worldSize) throw new Error(`RANK=${rank} is not below WORLD_SIZE=${worldSize}`);
  const localRank = env.LOCAL_RANK === undefined ? rank : intVar(env, 'LOCAL_RANK', 0);
  const timeoutS = env.PSPSEG_DIST_TIMEOUT === undefined ? DEFAULT_DIST_TIMEOUT_S : intVar(env, 'PSPSEG_DIST_TIMEOUT', 1);
  if (!distributedBackends().includes('gloo'))
    throw new Error(`WORLD_SIZE=${worldSize}: this build of pspseg's addon has no c10d Gloo backend (install libgloo-dev and run npm run build:native)`);
  const group = ProcessGroup.join({
    rank, worldSize, masterAddr: env.MASTER_ADDR!, masterPort: intVar(env, 'MASTER_PORT', 1), timeoutMs: 1000 * timeoutS,
    iface: env.GLOO_SOCKET_IFNAME || undefined,
  });
  return { group, rank, worldSize, localRank };
}

/**
 * A rank's share of the global batch, as nnU-Net splits it: `batch / worldSize` samples, and foreground
 * oversampling for the samples of the global batch that fall on this rank (the last round(B * p) samples of
 * the global batch are forced to foreground, so a rank's fraction is its count of them over its batch).
 */
export function rankBatch(batch: number, oversample: number, rank: number, worldSize: number): { batchSize: number; oversampleForeground: number } {
  if (worldSize === 1) return { batchSize: batch, oversampleForeground: oversample };
  if (batch % worldSize !== 0)
    throw new Error(`--batch ${batch} cannot be split evenly over ${worldSize} ranks (the global batch is divided among them): use a multiple of ${worldSize}`);
  const b = batch / worldSize;
  const firstForced = roundHalfEven(batch * (1 - oversample));
  let forced = 0;
  for (let i = rank * b; i < (rank + 1) * b; i++) if (i >= firstForced) forced++;
  return { batchSize: b, oversampleForeground: forced / b };
}

/** The seed of one of a run's streams (epoch e, stream k) for this rank: rank 0 of one process draws what a single process draws. */
export function rankSeed(seed: number, epoch: number, stream: number, dp: DataParallel | null): number {
  return dp === null ? mixSeed(seed, epoch, stream) : mixSeed(seed, epoch, stream, 1 + dp.rank);
}

/** Sums `values` over the ranks, in place (float64, one allreduce). */
export function sumOverRanks(dp: DataParallel, values: Float64Array): void {
  if (values.length === 0) return;
  const summed = tidy(() => noGrad(() => dp.group.allreduce(tensor(values, [values.length]), 'sum').toTypedArray<'float64'>()));
  values.set(summed);
}

/**
 * Stops the run, naming the ranks, unless every rank's `description` equals rank 0's. One allgather of a
 * fixed-size digest, so it is safe to call while the ranks' states differ.
 */
export function checkSameOnRanks(dp: DataParallel, description: unknown, when: string, why: string): void {
  const digest = createHash('sha256').update(JSON.stringify(description)).digest();
  const words = Float64Array.from({ length: 4 }, (_, i) => digest.readUInt32LE(4 * i));
  const all = tidy(() => noGrad(() => dp.group.allgather(tensor(words, [4])).map((t) => Array.from(t.toTypedArray<'float64'>()).join())));
  const differ = all.map((h, r) => (h === all[0] ? -1 : r)).filter((r) => r >= 0);
  if (differ.length) throw new Error(`data-parallel training, ${when}: rank(s) ${differ.join(', ')} differ from rank 0 (${why}); stopping`);
}

/** Every rank's architecture (the pruning state, the parameters' shapes) must be rank 0's at each epoch's end. */
export function checkSameArchitecture(dp: DataParallel, description: unknown, epoch: number): void {
  checkSameOnRanks(dp, description, `epoch ${epoch}`, "another architecture: the ranks' pruning went apart");
}
