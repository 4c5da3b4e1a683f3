/**
 * Progressive pruning inside `pspseg train`: the trainer's hooks (trainer.ts TrainingHooks) around
 * src/pruning's controller, the one adapter between the two.
 *
 * - At the start of every epoch: the finished epochs' logs as pruning reads them (training loss, TR,
 *   RL), a block search whose calibration batches are drawn lazily from the epoch's own batch stream
 *   (only when a search runs), the controller's decision; each event printed ("pruning at the start
 *   of epoch 9/20: masked ...") and returned as a training_log.jsonl record; pruning.svg redrawn.
 * - The controller's state goes into every checkpoint; `restore` continues from it (the network was
 *   already rebuilt from the checkpoint's architecture, masks included, and got its weights).
 * - After every save: pruning_summary.json (surviving blocks, parameters per PRM and in total,
 *   reduction against the unpruned network), also when pruning is off (--no-prune, --architecture);
 *   the final architecture printed after the last epoch.
 */
import { join } from 'node:path';
import { PRUNING_GRID_FILE, PRUNING_SUMMARY_FILE } from '../models/model_folder.js';
import {
  type CalibrationBatch, type EpochLosses, type PrunableNetwork, PruningController, type PruningEvent, type ResolvedPruningSettings,
  formatArchitectureSummary, formatPruningEvent, networkBlockSearch, pruningRecord, savePruningSummary, summarizeArchitecture, writePruningGrid,
} from '../pruning/index.js';
import { Progress } from '../util/progress.js';
import type { TrainingHooks } from './trainer.js';
import type { EpochLog, LogRecord } from './training_log.js';

/** What pruning watches of an epoch: the mean training loss and, with the FD loss, TR and RL. */
export function epochLosses(e: EpochLog): EpochLosses {
  const out: EpochLosses = { epoch: e.epoch, loss: e.trainLoss };
  if (e.trainTerms.tr !== undefined) out.tr = e.trainTerms.tr;
  if (e.trainTerms.rl !== undefined) out.rl = e.trainTerms.rl;
  return out;
}

const eventCounts = (events: readonly PruningEvent[]) => ({
  masked: events.filter((e) => e.kind === 'masked').length,
  deleted: events.filter((e) => e.kind === 'deleted').length,
  restored: events.filter((e) => e.kind === 'restored').length,
});

const silentProgress = () => ({ tick: () => undefined, finish: () => undefined });

export interface PruningHooksOptions<N> {
  /** The run's pruning settings (config.json's, the initial step fixed). */
  settings: ResolvedPruningSettings;
  totalEpochs: number;
  /** The fold folder (pruning.svg, pruning_summary.json). */
  outDir: string;
  print: (line: string) => void;
  quiet?: boolean;
  /** Parameters of the network's architecture with every block present: the summary's reference when pruning is off. */
  unprunedParameters: (net: N) => number;
  /** This process writes pruning.svg and pruning_summary.json (false: a data-parallel rank other than 0). */
  writer?: boolean;
  /** Data-parallel: sums the block search's scores over the ranks (block_search.ts). */
  reduceScores?: (scores: Float64Array) => void;
}

/** The hooks for a PSP-Seg run: pruning when settings.enabled, the summary file always. */
export function pruningHooks<N extends PrunableNetwork>(o: PruningHooksOptions<N>): TrainingHooks<N> {
  const { settings, totalEpochs } = o;
  let controller: PruningController | null = null;
  let unpruned: number | null = null;
  const epochLabel = (e: PruningEvent) => `at the start of epoch ${e.epoch + 1}/${totalEpochs}`;

  return {
    onEpochStart: settings.enabled ? async (ctx) => {
      controller ??= PruningController.start(settings, ctx.network, totalEpochs);
      let stream: AsyncIterator<CalibrationBatch> | null = null;
      const search = networkBlockSearch({
        network: ctx.network,
        drawBatch: async () => {
          stream ??= ctx.batches(settings.calibrationBatches)[Symbol.asyncIterator]();
          const r = await stream.next();
          if (r.done) throw new Error(`pruning: the calibration loader ran out after ${settings.calibrationBatches} batches`);
          return r.value;
        },
        batches: settings.calibrationBatches,
        reduceScores: o.reduceScores,
        progress: o.quiet ? silentProgress : (n) => new Progress(`pruning calibration, epoch ${ctx.epoch + 1}`, n),
      });
      try {
        const events = await controller.onEpochStart(ctx.epoch, ctx.logs.map(epochLosses), { network: ctx.network, optimizer: ctx.optimizer, search });
        for (const e of events) o.print(formatPruningEvent(e, { epochLabel: epochLabel(e) }));
        if (o.writer ?? true) writePruningGrid(join(o.outDir, PRUNING_GRID_FILE), controller.state(), { stopEpoch: Math.ceil(settings.stopFraction * totalEpochs) });
        return { records: events.map(pruningRecord) as LogRecord[] };
      } finally {
        await (stream as AsyncIterator<CalibrationBatch> | null)?.return?.(); // closes the loader's workers
      }
    } : undefined,
    state: () => controller?.state() ?? null,
    restore: (state) => {
      if (settings.enabled && state !== null && state !== undefined) controller = PruningController.resume(settings, state, 'checkpoint');
    },
    afterSave: ({ epoch, network, outDir, final }) => {
      if (!(o.writer ?? true)) return;
      const st = controller?.state() ?? null;
      const s = summarizeArchitecture(network, st?.initialParameters ?? (unpruned ??= o.unprunedParameters(network)));
      savePruningSummary(join(outDir, PRUNING_SUMMARY_FILE), {
        format: 'pspseg-pruning-summary', version: 1, epoch,
        pruning: { enabled: settings.enabled, stopReason: st?.stopReason ?? (settings.enabled ? null : 'disabled'), step: st?.step ?? null, events: eventCounts(st?.events ?? []) },
        ...s,
      });
      if (final) o.print(`final architecture (${PRUNING_SUMMARY_FILE}):\n${formatArchitectureSummary(s)}`);
    },
  };
}
