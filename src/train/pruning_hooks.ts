/**
 * Progressive pruning inside `pspseg train`: the trainer's hooks (trainer.ts TrainingHooks) around
 * src/pruning's PruningTrainerHook, for PSP-Seg networks.
 *
 * - At the start of every epoch: the per-epoch logs as pruning reads them (training loss, TR, RL),
 *   calibration batches drawn lazily from the epoch's own batch stream (only when a search runs),
 *   the events printed ("pruning at the start of epoch 9/20: masked ...") and returned as
 *   training_log.jsonl records; pruning.svg rewritten in the fold folder.
 * - The controller's state goes into every checkpoint; `restore` continues from it (the network was
 *   already rebuilt from the checkpoint's architecture, masks included, and got its weights).
 * - After every save: pruning_summary.json (surviving blocks, parameters per PRM and in total,
 *   reduction against the unpruned network). Also written when pruning is off (--no-prune,
 *   --architecture), against the same architecture with every block present.
 */
import { join } from 'node:path';
import { EfficientBlock, type PSPSegNet } from '../models/index.js';
import { PRUNING_GRID_FILE } from '../models/model_folder.js';
import {
  PRUNING_SUMMARY_FILE, PruningTrainerHook, type EpochLosses, type PrunableNetwork, type PruningEvent, type PruningState,
  formatArchitectureSummary, formatPruningEvent, savePruningSummary, summarizeArchitecture, type CalibrationBatch,
} from '../pruning/index.js';
import type { TrainConfig } from './config.js';
import type { TrainableNetwork } from './interfaces.js';
import type { LogRecord } from './training_log.js';
import type { EpochLog } from './training_log.js';
import type { TrainingHooks } from './trainer.js';


const silentProgress = () => ({ tick: () => undefined, finish: () => undefined });

/** What pruning monitors of an epoch: the mean training loss and, with the FD loss, TR and RL. */
export function epochLosses(e: EpochLog): EpochLosses {
  const out: EpochLosses = { epoch: e.epoch, loss: e.trainLoss };
  if (e.trainTerms.tr !== undefined) out.tr = e.trainTerms.tr;
  if (e.trainTerms.rl !== undefined) out.rl = e.trainTerms.rl;
  return out;
}

function asPrunable(net: TrainableNetwork): PrunableNetwork & PSPSegNet {
  if (typeof (net as Partial<PSPSegNet>).prunableModules !== 'function') throw new Error('pruning: the network has no PRMs (prune PSP-Seg networks only)');
  return net as unknown as PrunableNetwork & PSPSegNet;
}

/** Parameters of the architecture with every block present (masked and deleted ones rebuilt). */
export function unprunedParameters(net: PSPSegNet): number {
  let n = net.numParameters();
  const a = net.arch;
  for (const m of net.prunableModules())
    for (const b of m.blocks()) {
      if (b.state !== 'deleted') continue;
      const block = new EfficientBlock(m.channels, m.channels, b.kernel, a.ratio, { normAffine: a.normAffine });
      n += block.numParameters();
      block.dispose();
    }
  return n;
}

const eventCounts = (events: readonly PruningEvent[]) => ({
  masked: events.filter((e) => e.kind === 'masked').length,
  deleted: events.filter((e) => e.kind === 'deleted').length,
  restored: events.filter((e) => e.kind === 'restored').length,
});

export interface PruningHooksOptions {
  config: TrainConfig;
  outDir: string;
  print: (line: string) => void;
  quiet?: boolean;
}

/** The hooks for a PSP-Seg run: pruning when config.pruning.enabled, the summary file always. */
export function pruningHooks(o: PruningHooksOptions): TrainingHooks {
  const c = o.config;
  const enabled = c.pruning.enabled;
  const variant = c.network.variant ?? 'S';
  let hook: PruningTrainerHook | null = null;
  const make = (resumeState?: unknown) => new PruningTrainerHook({
    settings: c.pruning, variant, totalEpochs: c.epochs, resumeState, log: o.print,
    progress: o.quiet ? silentProgress : undefined,
    gridPath: join(o.outDir, PRUNING_GRID_FILE),
    formatEvent: (e) => formatPruningEvent(e, { epochLabel: `at the start of epoch ${e.epoch + 1}/${c.epochs}` }),
  });
  let unpruned: number | null = null;
  const initialParameters = (net: PSPSegNet): number => hook?.state()?.initialParameters ?? (unpruned ??= unprunedParameters(net));

  return {
    onEpochStart: enabled ? async (ctx) => {
      hook ??= make();
      const loader: { it: AsyncIterator<CalibrationBatch> | null } = { it: null };
      const draw = async (): Promise<CalibrationBatch> => {
        loader.it ??= ctx.batches(c.pruning.calibrationBatches)[Symbol.asyncIterator]();
        const r = await loader.it.next();
        if (r.done) throw new Error(`pruning: the calibration loader ran out after ${c.pruning.calibrationBatches} batches`);
        return r.value;
      };
      try {
        const r = await hook.onEpochStart({
          epoch: ctx.epoch, logs: ctx.logs.map(epochLosses), model: asPrunable(ctx.network), optimizer: ctx.optimizer, drawCalibrationBatch: draw,
        });
        return { records: r.records as LogRecord[] };
      } finally {
        await loader.it?.return?.(); // closes the loader's workers
      }
    } : undefined,
    state: () => hook?.state() ?? null,
    restore: (state) => {
      if (enabled && state !== null && state !== undefined) hook = make(state);
    },
    afterSave: ({ epoch, network, outDir, final }) => {
      const net = asPrunable(network);
      const s = summarizeArchitecture(net, initialParameters(net));
      const st: PruningState | null = hook?.state() ?? null;
      savePruningSummary(join(outDir, PRUNING_SUMMARY_FILE), {
        format: 'pspseg-pruning-summary', version: 1, epoch,
        pruning: { enabled, stopReason: st?.stopReason ?? (enabled ? null : 'disabled'), step: st?.step ?? null, events: eventCounts(st?.events ?? []) },
        ...s,
      });
      if (final) o.print(`final architecture (${PRUNING_SUMMARY_FILE}):\n${formatArchitectureSummary(s)}`);
    },
  };
}
