/**
 * Progressive pruning's state machine (docs/method.md, "Progressive pruning"), separate from the
 * trainer and the network. It is called at the start of every epoch with the per-epoch logs, and is in
 * one of three phases (state.phase):
 *
 *   watching  no block is masked; the logs are watched for convergence
 *   trial     the blocks in state.masked were masked at the last event; the next convergence decides
 *   stopped   for good
 *
 * Transitions, at the start of an epoch whose logs have converged since the last event (W epochs
 * without a new minimum), unless said otherwise:
 *
 *   watching -> trial     not over-pruned: mask, in every PRM with blocks to spare, the s blocks whose
 *                         removal changes its output least (block search)
 *   watching -> watching  over-pruned: s decreases by 1 (nothing to restore)
 *   trial    -> trial     not over-pruned: delete the masked blocks, mask the next s per PRM
 *   trial    -> watching  over-pruned: restore the masked blocks, s decreases by 1
 *   any      -> stopped   s reaches 0; no PRM has blocks to spare; the stop at stopFraction of the
 *                         epochs (stopAt 'event': at the first event from then on, the masked blocks
 *                         deleted or restored as decided and none masked anew; stopAt 'epoch': at
 *                         that epoch's start, whatever the logs, the masked blocks restored)
 *
 * Everything it needs to resume exactly is in `state()`.
 */
import { hasConverged, isOverPruned, minimaOf, finishedLogs, type EpochLosses, type LogMinima } from './convergence.js';
import type { BlockSearch } from './block_search.js';
import { activeBlocks } from './block_search.js';
import {
  activeParameters, architectureOf, deleteBlocks, maskBlocks, unmaskBlocks, type Architecture,
} from './network_ops.js';
import type { BlockRef, BlockState, ParameterOwner, PrunableNetwork, Triple } from './prunable.js';
import { blockLabel } from './prunable.js';
import type { PruningSettings } from './settings.js';
import {
  STATE_LETTERS, parsePruningState, type PruningEvent, type PruningState, type TimelineRow,
} from './state.js';

export type ResolvedPruningSettings = PruningSettings & { initialStep: number };

/** What a decision may act on. */
export interface PruningEnv {
  network: PrunableNetwork;
  /** Deleted parameters leave it too (null: no optimiser, e.g. in a dry run). */
  optimizer: ParameterOwner | null;
  search: BlockSearch;
}

const sameRef = (a: BlockRef, b: BlockRef) => a.module === b.module && a.block === b.block;

function lettersOf(arch: Architecture): Record<string, string> {
  return Object.fromEntries(Object.entries(arch).map(([m, states]) => [m, states.map((s) => STATE_LETTERS[s]).join('')]));
}

export class PruningController {
  private constructor(readonly settings: ResolvedPruningSettings, private s: PruningState) {}

  /** A controller for a network that has not been pruned yet. */
  static start(settings: ResolvedPruningSettings, network: PrunableNetwork, totalEpochs: number): PruningController {
    if (!Number.isInteger(totalEpochs) || totalEpochs < 1) throw new Error(`pruning: totalEpochs must be a positive integer, got ${totalEpochs}`);
    const mods = network.prunableModules();
    if (mods.length === 0) throw new Error('pruning: the network has no prunable modules (PRMs)');
    const arch = architectureOf(network);
    return new PruningController(settings, {
      version: 2,
      phase: settings.enabled ? 'watching' : 'stopped',
      stopReason: settings.enabled ? null : 'disabled',
      step: settings.initialStep,
      lastEventEpoch: 0,
      lastEpoch: null,
      totalEpochs,
      masked: [],
      restored: [],
      modules: mods.map((m) => ({ name: m.name, kernels: m.blocks().map((b) => [...b.kernel] as Triple) })),
      initialParameters: network.numParameters(),
      architecture: lettersOf(arch),
      events: [],
      timeline: [],
    });
  }

  /** A controller continuing from a checkpoint's state (validated). */
  static resume(settings: ResolvedPruningSettings, state: unknown, source?: string): PruningController {
    return new PruningController(settings, structuredClone(parsePruningState(state, source)));
  }

  /** A deep copy of the state, plain JSON. */
  state(): PruningState { return structuredClone(this.s); }

  get phase(): PruningState['phase'] { return this.s.phase; }
  get step(): number { return this.s.step; }
  get events(): readonly PruningEvent[] { return this.s.events; }

  /** Pruning is over from this epoch on (the stop fraction of the epochs). */
  private pastStop(epoch: number): boolean {
    return epoch >= this.settings.stopFraction * this.s.totalEpochs;
  }

  /**
   * Called at the start of every epoch (0-based), before its training, with the logs of the epochs
   * finished so far (epochs 0..epoch-1; later ones are ignored). Returns the events, in order.
   */
  async onEpochStart(epoch: number, logs: readonly EpochLosses[], env: PruningEnv): Promise<PruningEvent[]> {
    if (this.s.lastEpoch !== null && epoch !== this.s.lastEpoch + 1)
      throw new Error(`pruning: called for epoch ${epoch} after epoch ${this.s.lastEpoch} (once per epoch, in order)`);
    const found = lettersOf(architectureOf(env.network));
    if (JSON.stringify(found) !== JSON.stringify(this.s.architecture))
      throw new Error(`pruning: the network's blocks ${JSON.stringify(found)} do not match the pruning state ${JSON.stringify(this.s.architecture)} (after resuming, call applyArchitecture before loading the weights)`);
    const events: PruningEvent[] = [];
    if (this.s.phase !== 'stopped') await this.decide(epoch, logs, env, events);
    this.s.architecture = lettersOf(architectureOf(env.network));
    this.s.timeline.push(this.timelineRow(epoch, env.network));
    this.s.lastEpoch = epoch;
    this.s.events.push(...events);
    return events;
  }

  private async decide(epoch: number, allLogs: readonly EpochLosses[], env: PruningEnv, events: PruningEvent[]): Promise<void> {
    const st = this.settings;
    const logs = finishedLogs(allLogs, epoch, st.monitored);
    if (st.stopAt === 'epoch' && this.pastStop(epoch)) {
      if (this.s.phase === 'trial') this.restore(epoch, 'stop-fraction', env, events);
      this.stop(epoch, 'stop-fraction', env, events);
      return;
    }
    if (!hasConverged(logs, epoch, this.s.lastEventEpoch, st.window, st.monitored)) return;
    const minima: Record<string, LogMinima> = Object.fromEntries(
      st.monitored.map((k) => [k, minimaOf(logs, k, this.s.lastEventEpoch, st.window)]));
    const first = events.length;
    if (isOverPruned(logs, this.s.lastEventEpoch, st.delta, st.window, st.monitored)) {
      this.s.step -= 1;
      this.restore(epoch, 'over-pruned', env, events);
      this.s.lastEventEpoch = epoch;
      if (this.s.step <= 0) this.stop(epoch, 'step-zero', env, events);
      else if (st.stopAt === 'event' && this.pastStop(epoch)) this.stop(epoch, 'stop-fraction', env, events);
    } else {
      if (this.s.phase === 'trial') this.delete(epoch, env, events);
      this.s.lastEventEpoch = epoch;
      // At the stop epoch the authors' code masks a new combination and restores it at once: no new mask.
      if (st.stopAt === 'event' && this.pastStop(epoch)) this.stop(epoch, 'stop-fraction', env, events);
      else await this.maskBest(epoch, env, events);
    }
    if (events[first]) events[first]!.minima = minima;
  }

  private event(epoch: number, kind: PruningEvent['kind'], reason: PruningEvent['reason'], blocks: readonly BlockRef[],
    parametersBefore: number, env: PruningEnv): PruningEvent {
    return {
      epoch, kind, reason,
      blocks: blocks.map((r) => ({ ...r, kernel: this.kernelOf(r) })),
      step: this.s.step,
      parametersBefore,
      parametersAfter: env.network.numParameters(),
      activeParametersAfter: activeParameters(env.network),
    };
  }

  private kernelOf(r: BlockRef): Triple {
    const k = this.s.modules.find((m) => m.name === r.module)?.kernels[r.block];
    if (!k) throw new Error(`pruning: unknown block ${blockLabel(r)}`);
    return [...k] as Triple;
  }

  private restore(epoch: number, reason: 'over-pruned' | 'stop-fraction', env: PruningEnv, events: PruningEvent[]): void {
    const before = env.network.numParameters();
    const blocks = this.s.masked;
    unmaskBlocks(env.network, blocks);
    this.s.restored.push(...blocks);
    this.s.masked = [];
    this.s.phase = 'watching';
    events.push(this.event(epoch, 'restored', reason, blocks, before, env));
  }

  private delete(epoch: number, env: PruningEnv, events: PruningEvent[]): void {
    const before = env.network.numParameters();
    const blocks = this.s.masked;
    deleteBlocks(env.network, blocks, env.optimizer);
    this.s.masked = [];
    this.s.phase = 'watching';
    events.push(this.event(epoch, 'deleted', 'converged', blocks, before, env));
  }

  private stop(epoch: number, reason: 'stop-fraction' | 'step-zero' | 'nothing-prunable', env: PruningEnv, events: PruningEvent[]): void {
    this.s.phase = 'stopped';
    this.s.stopReason = reason;
    const n = env.network.numParameters();
    events.push(this.event(epoch, 'stopped', reason, [], n, env));
  }

  private async maskBest(epoch: number, env: PruningEnv, events: PruningEvent[]): Promise<void> {
    const step = this.s.step;
    const prunable = env.network.prunableModules()
      .filter((m) => activeBlocks(m).length - step >= this.settings.minRemainingBlocks);
    if (prunable.length === 0) {
      this.stop(epoch, 'nothing-prunable', env, events);
      return;
    }
    const before = env.network.numParameters();
    const { choices, report } = await env.search(prunable, step);
    const blocks: BlockRef[] = choices.flatMap((c) => c.blocks.map((block) => ({ module: c.module, block })));
    maskBlocks(env.network, blocks);
    this.s.masked = blocks;
    this.s.phase = 'trial';
    this.s.restored = this.s.restored.filter((r) => !blocks.some((b) => sameRef(r, b)));
    const e = this.event(epoch, 'masked', 'converged', blocks, before, env);
    e.scores = choices.map((c) => ({ module: c.module, blocks: c.blocks, score: c.score, all: c.scores }));
    e.calibration = report;
    events.push(e);
  }

  private timelineRow(epoch: number, network: PrunableNetwork): TimelineRow {
    const blocks: Record<string, string> = {};
    for (const m of network.prunableModules())
      blocks[m.name] = m.blocks().map((b) => this.letter(m.name, b.index, b.state)).join('');
    return { epoch, parameters: network.numParameters(), activeParameters: activeParameters(network), blocks };
  }

  private letter(module: string, block: number, state: BlockState): string {
    if (state === 'active' && this.s.restored.some((r) => r.module === module && r.block === block)) return 'R';
    return STATE_LETTERS[state];
  }
}
