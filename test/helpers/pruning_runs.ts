/**
 * Pruning states from the real controller, driven by scripted losses on a fake PSP-Seg S network
 * (7 PRMs x 4 blocks, tensor-free): the runs a report has to describe.
 *   - 'restored': the demo run. Blocks masked at the start of epoch 5 (index 4), the loss gets
 *     worse, so at the start of epoch 7 (index 6) they are restored, the prune step goes 1 -> 0 and
 *     pruning stops. Nothing is removed.
 *   - 'deleted': blocks masked at epoch 5, deleted at epoch 7 (the loss recovered) and more masked;
 *     at the first convergence after the stop fraction (the start of epoch 20, index 19) those are deleted too and pruning
 *     stops (stop epoch reached).
 *   - 'running': masked at epoch 5 and still masked when training ends (pruning never stopped).
 */
import {
  PruningController, type EpochLosses, type PruningState, resolvePruningSettings,
} from '../../src/pruning/index.js';
import { FakeNetwork, FakePRM, KERNELS4, logs, scriptedSearch } from '../pruning_fakes.js';

export const RUN_EPOCHS = 40;
export const PRM_NAMES = ['enc1', 'enc2', 'enc3', 'enc4', 'dec3', 'dec2', 'dec1'];

/** Block j of the PRM with c channels: distinct counts, so that each deletion shows in the total. */
const blockParams = (c: number) => KERNELS4.map((_, j) => c * c + 10 * j + 1);

export function sNetwork(): FakeNetwork {
  const channels = [32, 64, 128, 256, 128, 64, 32];
  return new FakeNetwork(PRM_NAMES.map((n, i) => new FakePRM(n, KERNELS4, blockParams(channels[i]!))), 100_000);
}

export type RunKind = 'restored' | 'deleted' | 'running';

/** Losses that make the controller act as described above (window 1, delta 0.001, loss only). */
function losses(kind: RunKind): number[] {
  // 0..3: down then up at 3, so at index 4 the minimum (index 2) is outside the last window: converged.
  const start = [1.0, 0.9, 0.8, 0.85];
  const down = (from: number, n: number, v0: number) => Array.from({ length: n }, (_, i) => v0 - 0.001 * (from + i));
  if (kind === 'restored') return [...start, 0.95, 0.97, ...down(0, RUN_EPOCHS - 6, 0.7)]; // worse after masking: over-pruned at 6
  if (kind === 'running') return [...start, ...down(0, RUN_EPOCHS - 4, 0.79)]; // keeps improving: never converges again
  // deleted: after masking at 4 the loss recovers (0.78 < 0.8) and rises at 5: converged, not over-pruned, at 6;
  // then it improves until index 17 and rises: the first convergence after the stop (index 16) is at index 19.
  return [...start, 0.78, 0.79, ...down(0, 12, 0.77), 0.9, ...down(0, RUN_EPOCHS - 19, 0.6)];
}

/** Runs the controller over RUN_EPOCHS epochs (or `epochs`) and returns its state and the network. */
export async function pruningRun(kind: RunKind, epochs = RUN_EPOCHS): Promise<{ state: PruningState; network: FakeNetwork; stopEpoch: number }> {
  const network = sNetwork();
  const settings = resolvePruningSettings({ window: 1, delta: 0.001, monitored: ['loss'], stopFraction: 0.4 }, 'S');
  const controller = PruningController.start(settings, network, RUN_EPOCHS);
  const all: EpochLosses[] = logs(losses(kind));
  const { search } = scriptedSearch();
  for (let e = 0; e < epochs; e++) await controller.onEpochStart(e, all, { network, optimizer: null, search });
  return { state: controller.state(), network, stopEpoch: Math.ceil(0.4 * RUN_EPOCHS) };
}
