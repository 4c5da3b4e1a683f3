/**
 * Section "Pruning and final architecture": the block-state grid over the epochs (redrawn from the
 * checkpoint's pruning state, else pruning.svg as written), what each pruning event did and the net
 * change, the events table, and which blocks of which PRM the final network keeps (architecture.json).
 */
import { formatPruningEvent } from '../pruning/events.js';
import { GRID_COLOURS, pruningGridSvg } from '../pruning/grid_svg.js';
import { kernelLabel } from '../pruning/prunable.js';
import type { PruningEvent } from '../pruning/state.js';
import type { ArchitectureView, FoldInputs } from './fold_inputs.js';
import { code, esc, facts, fmtInt, notice, pre, table } from './html.js';
import { epochOf, eventSteps, netChangeText, pruningOutcome, stopText } from './pruning_outcome.js';
import { inlineSvg } from './svg_inline.js';

const STATE_COLOUR: Record<string, string> = { active: GRID_COLOURS.A.fill, masked: GRID_COLOURS.M.fill, deleted: GRID_COLOURS.D.fill };

/** The PRMs of an S-stage PSP-Seg network in execution order (as src/models names them). */
function prmNames(stages: number): string[] {
  const enc = Array.from({ length: stages - 1 }, (_, i) => `enc${i + 1}`);
  const dec = Array.from({ length: Math.max(stages - 2, 0) }, (_, i) => `dec${stages - 2 - i}`);
  return [...enc, ...dec];
}

const stageOf = (name: string): number => Number(name.replace(/^\D+/, ''));

function pspArchitectureTable(a: ArchitectureView): string {
  const channels = a.channels ?? [];
  const kernels = a.kernels ?? [];
  const rows = prmNames(channels.length).map((name) => {
    const states = a.blocks?.[name] ?? kernels.map(() => 'active');
    const chips = kernels.map((k, j) => {
      const state = states[j] ?? 'active';
      return `<span class="chip ${esc(state)}" style="background:${STATE_COLOUR[state] ?? '#ccc'}" title="block b${j}, kernel ${kernelLabel(k)}: ${esc(state)}">${kernelLabel(k)}</span>`;
    }).join(' ');
    const kept = states.filter((s) => s === 'active').length;
    const role = name === `enc${channels.length - 1}` ? 'bottleneck' : name.startsWith('enc') ? 'encoder' : 'decoder';
    return [name, role, { html: chips }, { html: String(channels[stageOf(name)] ?? ''), sort: channels[stageOf(name)] ?? 0 },
      { html: `${kept} / ${kernels.length}${kept === 0 && !states.includes('masked') ? ' (identity)' : ''}`, sort: kept }];
  });
  const legend = Object.entries(STATE_COLOUR).map(([s, c]) => `<span class="chip" style="background:${c}">${s}</span>`).join(' ');
  return `<p>PSP-Seg${a.variant ? ` ${esc(a.variant)}` : ''}: ${channels.length} resolution stages with ${channels.join(', ')} channels.
Every parallel redundant module (PRM) starts with ${kernels.length} parallel blocks, one per kernel shape; a PRM whose
blocks are all deleted becomes a plain identity connection. Block states: ${legend}.</p>` +
    table(['PRM', 'where', 'blocks (kernel)', 'channels', 'kept'], rows, { textColumns: 3, id: 'final-architecture' });
}

function otherArchitecture(a: ArchitectureView): string {
  const kind = a.kind === 'small-unet' ? 'a small U-Net (the demo network)' : a.kind === 'plain' ? "nnU-Net's plain U-Net" : `a '${esc(a.kind)}' network`;
  const rows = Object.entries(a).filter(([k]) => k !== 'kind').map(([k, v]): [string, string] => [k, esc(JSON.stringify(v))]);
  return `<p>The network is ${kind}; it has no parallel blocks, so there is nothing to prune. Its description (architecture.json):</p>` +
    facts(rows);
}

function eventsTable(events: readonly PruningEvent[]): string {
  const rows = events.map((e) => {
    const blocks = e.blocks.map((b) => `${b.module}.b${b.block} (${kernelLabel(b.kernel)})`).join(', ') || '\u2013';
    return [
      { html: String(e.epoch + 1), sort: e.epoch }, `${e.kind} (${e.reason})`, blocks, { html: String(e.step), sort: e.step },
      { html: fmtInt(e.parametersBefore), sort: e.parametersBefore }, { html: fmtInt(e.parametersAfter), sort: e.parametersAfter },
      { html: fmtInt(e.activeParametersAfter), sort: e.activeParametersAfter },
    ];
  });
  return table(['epoch', 'event', 'blocks', 'prune step', 'parameters before', 'after', 'in use after'], rows, { textColumns: 3, sortable: true, id: 'pruning-events' });
}

export function pruningSection(f: FoldInputs): string {
  const out = ['<section id="pruning"><h2>Pruning and final architecture</h2>'];
  const a = f.architecture;
  const pruned = f.pruningEvents.length > 0 || f.pruningState !== null || f.pruningSvg !== null;
  if (pruned) {
    out.push(`<p>PSP-Seg trains a network with several parallel blocks per module and removes the least useful ones while it
trains: when the loss stops improving, the blocks whose removal costs least are <em>masked</em> (switched off); if the
loss recovers they are <em>deleted</em> for good, otherwise they are <em>restored</em>. The grid shows every block's state
per epoch, the line above it the number of parameters.</p>`);
    // Redrawn from the newest checkpoint's state when there is one: pruning.svg is only as right as
    // the version of pspseg that trained the model.
    const o = pruningOutcome(f);
    const svg = f.pruningState ? pruningGridSvg(f.pruningState, o.plannedStop ? { stopEpoch: o.plannedStop.epoch } : {}) : f.pruningSvg;
    if (svg) out.push(`<figure class="wide">${inlineSvg(svg, 'pruning grid: block states per epoch')}</figure>`);
    else out.push(notice(`The pruning grid (${code('pruning.svg')}) was not found and no checkpoint holds a pruning state to redraw it from.`));
    out.push('<h3>What pruning did</h3>');
    const steps = eventSteps(o.events);
    if (steps.length) out.push(`<ul id="pruning-steps">${steps.map((st) => `<li>At the start of ${epochOf(st.epoch)}: ${esc(st.text)}.</li>`).join('')}</ul>`);
    else out.push('<p id="pruning-steps">No pruning event: no block was ever masked.</p>');
    out.push(facts([['net change', esc(netChangeText(o))], ['end', esc(stopText(o))]]));
    if (f.pruningEvents.length) {
      const total = f.config?.epochs;
      out.push('<h3>Pruning events</h3>', eventsTable(f.pruningEvents));
      out.push(`<details><summary>as the trainer printed them</summary>${pre(f.pruningEvents.map((e) =>
        formatPruningEvent(e, total ? { epochLabel: `at the start of epoch ${e.epoch + 1}/${total}` } : {})).join('\n'))}</details>`);
    }
  } else if (a?.kind === 'psp') {
    const o = pruningOutcome(f);
    out.push(notice(o.status === 'off'
      ? `This PSP-Seg model was trained without pruning: ${esc(o.offReason ?? '')}. Every block is the one it was built with.`
      : 'This PSP-Seg model was not pruned: the training log holds no pruning event, so every block is the one it was built with.'));
  }
  out.push('<h3>Final architecture</h3>');
  if (!a) out.push(notice(`The network description (${code('architecture.json')}) was not found.`));
  else out.push(a.kind === 'psp' ? pspArchitectureTable(a) : otherArchitecture(a));
  out.push('</section>');
  return out.join('\n');
}
