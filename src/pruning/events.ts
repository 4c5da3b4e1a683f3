/** Console lines and training_log.jsonl records for pruning events. */
import type { PruningEvent } from './state.js';
import { kernelLabel } from './prunable.js';

const num = (n: number) => n.toLocaleString('en-US');

export const REASON_TEXT: Record<PruningEvent['reason'], string> = {
  converged: 'converged',
  'over-pruned': 'over-pruned',
  'stop-fraction': 'stop epoch reached',
  'step-zero': 'prune step reached 0',
  'nothing-prunable': 'no PRM has blocks to spare',
};

function blocksText(e: PruningEvent): string {
  if (e.blocks.length === 0) return 'no blocks';
  return e.blocks.map((b) => `${b.module}.b${b.block} (${kernelLabel(b.kernel)})`).join(', ');
}

/**
 * One line per event: epoch, what happened to which blocks, the step, parameters before and after.
 * Epochs are counted from 1, as the trainer prints them: `epochLabel` replaces "at the start of epoch
 * 9" for index 8 (e.g. the trainer's "at the start of epoch 9/20").
 */
export function formatPruningEvent(e: PruningEvent, o: { epochLabel?: string } = {}): string {
  const head = `pruning, ${o.epochLabel ?? `at the start of epoch ${e.epoch + 1}`}:`;
  const params = e.parametersBefore === e.parametersAfter
    ? `parameters ${num(e.parametersAfter)}`
    : `parameters ${num(e.parametersBefore)} -> ${num(e.parametersAfter)}`;
  const inUse = e.activeParametersAfter !== e.parametersAfter ? `, in use ${num(e.activeParametersAfter)}` : '';
  switch (e.kind) {
    case 'masked':
      return `${head} masked ${e.blocks.length} block(s) (s=${e.step}): ${blocksText(e)}; ${params}${inUse}`;
    case 'deleted':
      return `${head} deleted ${e.blocks.length} block(s): ${blocksText(e)}; ${params}${inUse}`;
    case 'restored':
      return `${head} ${REASON_TEXT[e.reason]}, restored ${blocksText(e)}; prune step now ${e.step}; ${params}${inUse}`;
    case 'stopped':
      return `${head} pruning stopped (${REASON_TEXT[e.reason]}); ${params}${inUse}`;
  }
}

/** The record appended to training_log.jsonl. */
export function pruningRecord(e: PruningEvent): { type: 'pruning' } & PruningEvent {
  return { type: 'pruning', ...e };
}
