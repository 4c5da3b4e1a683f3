/**
 * What pruning did to a trained fold, in words: the net change (parameters before and after, blocks
 * deleted of how many), what each event did, and when and why pruning stopped. The header card, the
 * training section and the pruning section all say it from here, so they cannot disagree. Epochs are
 * counted from 1, as the trainer prints them: an event at index e happened at the start of epoch e + 1.
 */
import { REASON_TEXT } from '../pruning/events.js';
import type { PruningEvent } from '../pruning/state.js';
import { costFigures } from './section_cost.js';
import type { FoldInputs } from './fold_inputs.js';
import { fmtInt } from './html.js';

export interface PruningOutcome {
  /** removed: blocks were deleted; nothing-removed: pruning ran but the network keeps every block; off: trained without pruning. */
  status: 'removed' | 'nothing-removed' | 'off';
  /** Why there was no pruning (status 'off'). */
  offReason: string | null;
  /** Nothing says whether the run pruned (no config, no event, no state, no summary). */
  unknown: boolean;
  parametersBefore: number | null;
  parametersAfter: number | null;
  blocksDeleted: number | null;
  blocksTotal: number | null;
  /** Blocks still masked (switched off, still stored) when training ended. */
  blocksMasked: number;
  /** How pruning ended; null: it had not stopped when training ended. `epoch`: 0-based, null when unknown. */
  stop: { epoch: number | null; reason: string } | null;
  /** The planned stop (0-based epoch index from the stop fraction) and how it applies, when the config says. */
  plannedStop: { epoch: number; at: 'event' | 'epoch' } | null;
  events: PruningEvent[];
  /** Epochs logged (the last one, counted from 1, is this number). */
  epochsTrained: number;
}

/** 'epoch 7' for event index 6. */
export const epochOf = (index: number): string => `epoch ${index + 1}`;

const REASONS: Record<string, string> = { ...REASON_TEXT, disabled: 'pruning disabled' };
const reasonText = (r: string): string => REASONS[r] ?? r;
const plural = (n: number, one: string, many = `${one}s`): string => `${fmtInt(n)} ${n === 1 ? one : many}`;

export function pruningOutcome(f: FoldInputs): PruningOutcome {
  const state = f.pruningState, summary = f.pruningSummary, a = f.architecture;
  const events = f.pruningEvents.length ? f.pruningEvents : state?.events ?? [];
  const cost = costFigures(f);
  const before = cost.initialParameters ?? summary?.initialParameters ?? null;
  const after = cost.finalParameters ?? summary?.totalParameters ?? null;

  // Final block states: the network description first (what the model folder holds), then the state, then the summary.
  let states: string[] | null = null;
  if (a?.kind === 'psp' && a.blocks) states = Object.values(a.blocks).flat();
  else if (state) states = Object.values(state.architecture).flatMap((l) => [...l].map((c) => (c === 'D' ? 'deleted' : c === 'M' ? 'masked' : 'active')));
  else if (summary) states = summary.modules.flatMap((m) => m.blocks.map((b) => b.state));
  let blocksTotal = states?.length ?? null;
  if (blocksTotal === null && a?.kind === 'psp' && a.channels && a.kernels) blocksTotal = (2 * a.channels.length - 3) * a.kernels.length;
  const deletedByEvents = events.filter((e) => e.kind === 'deleted').reduce((n, e) => n + e.blocks.length, 0);
  const blocksDeleted = states ? states.filter((s) => s === 'deleted').length : events.length ? deletedByEvents : null;
  const blocksMasked = states ? states.filter((s) => s === 'masked').length : 0;

  const stopEvent = [...events].reverse().find((e) => e.kind === 'stopped');
  const stopReason = state?.stopReason ?? summary?.pruning.stopReason ?? null;
  const stop = stopEvent ? { epoch: stopEvent.epoch, reason: stopEvent.reason } : stopReason && stopReason !== 'disabled' ? { epoch: null, reason: stopReason } : null;
  const c = f.config;
  const plannedStop = c?.pruning.enabled ? { epoch: Math.ceil(c.pruning.stopFraction * c.epochs), at: c.pruning.stopAt } : null;

  let offReason: string | null = null;
  if (a && a.kind !== 'psp') offReason = 'the network has no parallel blocks to prune';
  else if (c && !c.pruning.enabled) offReason = 'pruning is switched off in config.json (pruning.enabled: false)';
  else if (stopReason === 'disabled' || summary?.pruning.enabled === false) offReason = 'pruning was switched off for this run';
  const unknown = !offReason && !c && !state && !summary && !events.length;
  if (unknown) offReason = 'no config.json, no pruning event in the training log, no pruning state in a checkpoint';
  const removed = (blocksDeleted ?? 0) > 0 || (before !== null && after !== null && after < before && events.length > 0);
  return {
    status: offReason ? 'off' : removed ? 'removed' : 'nothing-removed',
    offReason, unknown, parametersBefore: before, parametersAfter: after, blocksDeleted, blocksTotal, blocksMasked,
    stop, plannedStop, events, epochsTrained: f.epochs.length || (state ? state.timeline.length : 0),
  };
}

/** 'pruning stopped at the start of epoch 7 (prune step reached 0)', or that it had not stopped. */
export function stopText(o: PruningOutcome): string {
  if (o.stop) return `pruning stopped${o.stop.epoch === null ? '' : ` at the start of ${epochOf(o.stop.epoch)}`} (${reasonText(o.stop.reason)})`;
  const p = o.plannedStop;
  const planned = !p ? '' : p.at === 'event' ? `; it was to stop at its first event from ${epochOf(p.epoch)} on` : `; it was to stop at the start of ${epochOf(p.epoch)}`;
  return `pruning had not stopped when training ended${o.epochsTrained ? ` after ${epochOf(o.epochsTrained - 1)}` : ''}${planned}`;
}

/** For each event: the epoch (from 1) and what it did, with the blocks' fate for restorations and deletions. */
export function eventSteps(events: readonly PruningEvent[]): { epoch: number; text: string }[] {
  let maskedAt: number | null = null;
  return events.map((e) => {
    const n = plural(e.blocks.length, 'block');
    const since = maskedAt === null ? '' : ` masked at ${epochOf(maskedAt)}`;
    let text: string;
    switch (e.kind) {
      case 'masked':
        maskedAt = e.epoch;
        text = `masked ${n} (switched off to try the network without them; ${fmtInt(e.activeParametersAfter)} of ${fmtInt(e.parametersAfter)} parameters in use)`;
        break;
      case 'deleted':
        text = `deleted the ${n}${since} for good (the loss recovered without them): parameters ${fmtInt(e.parametersBefore)} \u2192 ${fmtInt(e.parametersAfter)}`;
        maskedAt = null;
        break;
      case 'restored':
        text = e.reason === 'over-pruned'
          ? `restored the ${n}${since} (over-pruned: the loss got worse without them); the prune step went down to ${e.step}`
          : `restored the ${n}${since} (${reasonText(e.reason)}: no time left to judge them)`;
        maskedAt = null;
        break;
      case 'stopped':
        text = `stopped pruning (${reasonText(e.reason)})`;
        break;
    }
    return { epoch: e.epoch, text };
  });
}

/** The events by epoch: 'at the start of epoch 5 it masked 7 blocks ...; at the start of epoch 7 it restored ... and stopped pruning (...)'. */
export function eventsSentence(events: readonly PruningEvent[]): string {
  const byEpoch = new Map<number, string[]>();
  for (const s of eventSteps(events)) byEpoch.set(s.epoch, [...(byEpoch.get(s.epoch) ?? []), s.text]);
  return [...byEpoch].map(([e, texts]) => `at the start of ${epochOf(e)} it ${texts.join(', then ')}`).join('; ');
}

/** 'none: ...' or '14 of 28 blocks deleted, ...': the network at the end against the one built. */
export function netChangeText(o: PruningOutcome): string {
  const params = o.parametersBefore !== null && o.parametersAfter !== null
    ? `${fmtInt(o.parametersBefore)} \u2192 ${fmtInt(o.parametersAfter)} parameters${o.parametersBefore > 0 ? ` (${pct(o.parametersBefore, o.parametersAfter)} removed)` : ''}` : null;
  const blocks = o.blocksDeleted !== null && o.blocksTotal !== null ? `${fmtInt(o.blocksDeleted)} of ${plural(o.blocksTotal, 'block')} deleted` : null;
  const masked = o.blocksMasked ? `; ${plural(o.blocksMasked, 'block')} still masked (stored but unused) when training ended` : '';
  if (o.status !== 'removed') {
    const kept = o.blocksTotal !== null ? `all ${plural(o.blocksTotal, 'block')}` : 'every block';
    return `none: the network ends with ${kept}${o.parametersAfter !== null ? ` and the ${fmtInt(o.parametersAfter)} parameters` : ''} it was built with${masked}`;
  }
  return [blocks, params].filter(Boolean).join(', ') + masked;
}

const pct = (before: number, after: number): string => {
  const p = (100 * (before - after)) / before;
  return `${p === 0 ? '0' : p < 0.1 ? p.toFixed(2) : p.toFixed(1)}%`;
};

/** What the blocks that were tried and not deleted went through, for "removed nothing". */
function nothingStory(o: PruningOutcome): string {
  const parts: string[] = [];
  let maskedAt: number | null = null;
  for (const e of o.events) {
    if (e.kind === 'masked') maskedAt = e.epoch;
    else if (e.kind === 'restored' && maskedAt !== null) {
      parts.push(e.reason === 'over-pruned'
        ? `the blocks masked at ${epochOf(maskedAt)} were over-pruned and restored at ${epochOf(e.epoch)}`
        : `the blocks masked at ${epochOf(maskedAt)} were restored at ${epochOf(e.epoch)} (${reasonText(e.reason)})`);
      maskedAt = null;
    }
  }
  if (maskedAt !== null) parts.push(`the blocks masked at ${epochOf(maskedAt)} were still only masked when training ended`);
  if (!o.events.some((e) => e.kind === 'masked')) {
    parts.push(o.stop?.reason === 'stop-fraction' ? 'no block was masked before the stop epoch'
      : o.stop?.reason === 'nothing-prunable' ? 'no PRM had blocks to spare'
        : 'the loss never settled (converged) long enough for a block to be masked');
  }
  return parts.join('; ');
}

/** The card's first sentence. */
export function headline(o: PruningOutcome): string {
  if (o.unknown) return `No record of pruning: ${o.offReason}.`;
  if (o.status === 'off') return `Trained without pruning: ${o.offReason}.`;
  if (o.status === 'nothing-removed') return `Pruning removed nothing: ${nothingStory(o)}; ${stopText(o)}.`;
  const params = o.parametersBefore !== null && o.parametersAfter !== null
    ? ` ${fmtInt(o.parametersBefore - o.parametersAfter)} of ${fmtInt(o.parametersBefore)} parameters (${pct(o.parametersBefore, o.parametersAfter)})` : '';
  const blocks = o.blocksDeleted !== null ? `${params ? ',' : ''} ${o.blocksDeleted}${o.blocksTotal !== null ? ` of ${o.blocksTotal}` : ''} blocks` : '';
  return `Pruning removed${params}${blocks}; ${stopText(o)}.`;
}
