/**
 * Adapts the pruning controller to an epoch-start callback: once per epoch, before its training,
 * with the finished epochs' logs ({ epoch, loss, tr, rl }), the network, the optimiser (deleted
 * parameters leave it) and a way to draw the next calibration batch (the search disposes it).
 * It returns the state to store in the checkpoint, whether blocks were deleted, and the records
 * for training_log.jsonl. `pspseg train` wires it in src/train/pruning_hooks.ts.
 *
 * Called at the start of every epoch, also after pruning has ended (the grid then keeps growing).
 * To resume: build the network with the saved block states (or `restorePrunedArchitecture(model,
 * saved)`), load the weights, build the optimiser (and load its state), then create the hook with
 * `resumeState: saved`.
 */
import { Progress } from '../util/progress.js';
import { networkBlockSearch, type ProgressLike } from './block_search.js';
import { PruningController } from './controller.js';
import type { EpochLosses } from './convergence.js';
import { formatPruningEvent, pruningRecord } from './events.js';
import { writePruningGrid } from './grid_svg.js';
import { applyArchitecture, type Architecture } from './network_ops.js';
import type { DrawCalibrationBatch, ParameterOwner, PrunableNetwork } from './prunable.js';
import type { PspVariant } from '../models/psp_variants.js';
import { resolvePruningSettings, type PruningSettingsInput } from './settings.js';
import { parsePruningState, type PruningEvent, type PruningState } from './state.js';
import { summarizeArchitecture, type ArchitectureSummary } from './summary.js';

export interface EpochStartContext {
  epoch: number;
  logs: readonly EpochLosses[];
  model: PrunableNetwork;
  optimizer: ParameterOwner;
  drawCalibrationBatch: DrawCalibrationBatch;
}
export interface EpochStartResult {
  state: PruningState;
  architectureChanged: boolean;
  records: object[];
}
export type EpochStartHook = (ctx: EpochStartContext) => Promise<EpochStartResult>;

export interface PruningHookOptions {
  settings: PruningSettingsInput;
  variant: PspVariant;
  totalEpochs: number;
  /** The state from a checkpoint, when resuming. */
  resumeState?: unknown;
  /** Console output (default console.log). */
  log?: (line: string) => void;
  /** Progress of the calibration forwards (default: a progress line on stderr). */
  progress?: (total: number) => ProgressLike;
  /** Where pruning.svg is (re)written at every epoch. */
  gridPath?: string;
  /** The console line of an event (default formatPruningEvent). */
  formatEvent?: (e: PruningEvent) => string;
}

const LETTER_STATE = { A: 'active', M: 'masked', D: 'deleted' } as const;

/** The block states recorded in a pruning state, as `applyArchitecture` takes them. */
export function architectureOfState(state: PruningState): Architecture {
  return Object.fromEntries(Object.entries(state.architecture).map(([m, letters]) =>
    [m, [...letters].map((c) => LETTER_STATE[c as keyof typeof LETTER_STATE])]));
}

/** Brings a freshly built network to the architecture of a saved pruning state (before loading weights). */
export function restorePrunedArchitecture(model: PrunableNetwork, savedState: unknown, source?: string): void {
  applyArchitecture(model, architectureOfState(parsePruningState(savedState, source)));
}

export class PruningTrainerHook {
  private controller: PruningController | null = null;
  private readonly settings;
  private readonly log: (line: string) => void;

  constructor(private readonly o: PruningHookOptions) {
    this.settings = resolvePruningSettings(o.settings, o.variant);
    this.log = o.log ?? ((l) => console.log(l));
    if (o.resumeState !== undefined) this.controller = PruningController.resume(this.settings, o.resumeState, 'checkpoint');
  }

  /** The callback to hand to the trainer. */
  readonly onEpochStart: EpochStartHook = async (ctx) => {
    const c = (this.controller ??= PruningController.start(this.settings, ctx.model, this.o.totalEpochs));
    const search = networkBlockSearch({
      network: ctx.model,
      drawBatch: ctx.drawCalibrationBatch,
      batches: this.settings.calibrationBatches,
      progress: this.o.progress ?? ((n) => new Progress(`pruning calibration, epoch ${ctx.epoch}`, n)),
    });
    const events = await c.onEpochStart(ctx.epoch, ctx.logs, { network: ctx.model, optimizer: ctx.optimizer, search });
    for (const e of events) this.log((this.o.formatEvent ?? formatPruningEvent)(e));
    const state = c.state();
    if (this.o.gridPath) writePruningGrid(this.o.gridPath, state, { stopEpoch: this.stopEpoch() });
    return {
      state,
      architectureChanged: events.some((e) => e.kind === 'deleted'),
      records: events.map(pruningRecord),
    };
  };

  stopEpoch(): number { return Math.ceil(this.settings.stopFraction * this.o.totalEpochs); }

  /** The final architecture against the unpruned network (after training). */
  summary(model: PrunableNetwork): ArchitectureSummary {
    const initial = this.controller?.state().initialParameters ?? model.numParameters();
    return summarizeArchitecture(model, initial);
  }

  state(): PruningState | null { return this.controller?.state() ?? null; }
}
