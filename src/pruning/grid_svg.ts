/**
 * pruning.svg: the paper's Fig. 4. One row per block (grouped by PRM, labelled with its kernel), one
 * column per epoch, coloured by state; the parameter count over the epochs above it. Epochs are
 * counted from 1, as the console prints them: an event at the start of epoch n (index n - 1) shows
 * in column n, with its tick on that column's left edge.
 */
import type { PruningEvent, PruningState, TimelineLetter } from './state.js';
import { REASON_TEXT } from './events.js';
import { writeFileAtomicSync } from '../util/atomic_write.js';
import { niceStep } from '../util/svg_plot.js';

/**
 * Cell colours. The timeline's R (restored and not masked since) is an active block: only the
 * epoch of the restoration is drawn as restored, the epochs after it as active.
 */
export const GRID_COLOURS: Record<TimelineLetter, { fill: string; label: string }> = {
  A: { fill: '#3f9b5c', label: 'active' },
  M: { fill: '#f0a32f', label: 'masked' },
  D: { fill: '#e4e4e4', label: 'deleted' },
  R: { fill: '#3a78c9', label: 'restored (that epoch; active after it)' },
};

export interface GridOptions {
  title?: string;
  /** Width of the epoch axis in pixels. */
  gridWidth?: number;
  rowHeight?: number;
  /**
   * The planned stop (0-based epoch index, e.g. ceil(0.4 * epochs)): marked only while pruning still
   * runs. Once it has stopped, the mark is where it actually stopped (the state's stop event).
   */
  stopEpoch?: number;
}

/** The dashed stop line: its 0-based epoch (at whose start it is) and its label; null: none. */
export function stopMark(state: PruningState, plannedStop?: number): { epoch: number; text: string } | null {
  if (state.stopReason === 'disabled') return null;
  const stop = [...state.events].reverse().find((e: PruningEvent) => e.kind === 'stopped');
  if (stop) return { epoch: stop.epoch, text: `pruning stopped at the start of epoch ${stop.epoch + 1} (${REASON_TEXT[stop.reason]})` };
  if (state.phase === 'stopped' || plannedStop === undefined) return null;
  return { epoch: plannedStop, text: `planned end of pruning: start of epoch ${plannedStop + 1}` };
}

/**
 * The letter a timeline cell is drawn with: R only at the epoch of the block's restoration (a
 * 'restored' event that names it), A after it.
 */
export function displayLetters(state: PruningState): (module: string, block: number, row: number) => TimelineLetter | undefined {
  const restoredAt = new Set(state.events.filter((e) => e.kind === 'restored')
    .flatMap((e) => e.blocks.map((b) => `${e.epoch}:${b.module}.${b.block}`)));
  return (module, block, row) => {
    const r = state.timeline[row];
    const letter = r?.blocks[module]?.[block] as TimelineLetter | undefined;
    if (letter !== 'R') return letter;
    return restoredAt.has(`${r!.epoch}:${module}.${block}`) ? 'R' : 'A';
  };
}

/** About the width of a label at font size 11 (sans-serif averages near 0.56 em per character). */
const textWidth = (text: string) => 6.2 * text.length;


const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const f = (v: number) => +v.toFixed(2);

const paramLabel = (n: number) => (n >= 1e6 ? `${+(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${+(n / 1e3).toFixed(1)}k` : String(n));

export function pruningGridSvg(state: PruningState, o: GridOptions = {}): string {
  const epochs = Math.max(state.totalEpochs, state.timeline.length, 1);
  const rowH = o.rowHeight ?? 13;
  const groupGap = 7;
  const gridW = o.gridWidth ?? 900;
  const pad = { l: 132, r: 24, t: 40 };
  const chartH = 130;
  const chartTop = pad.t + 22;
  const gridTop = chartTop + chartH + 26;
  const cellW = gridW / epochs;
  const x = (e: number) => pad.l + e * cellW;

  // Rows: every block of every PRM, in network order.
  const rows: { module: string; block: number; y: number }[] = [];
  let y = gridTop;
  for (const m of state.modules) {
    m.kernels.forEach((_, j) => { rows.push({ module: m.name, block: j, y }); y += rowH; });
    y += groupGap;
  }
  const gridBottom = y - groupGap;
  const height = gridBottom + 64;
  const width = pad.l + gridW + pad.r;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f(width)}" height="${f(height)}" viewBox="0 0 ${f(width)} ${f(height)}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${f(width / 2)}" y="22" text-anchor="middle" font-size="15">${esc(o.title ?? 'Progressive pruning: block states per epoch')}</text>`,
  ];

  // Parameter count above the grid.
  const tl = state.timeline;
  const values = tl.flatMap((r) => [r.parameters, r.activeParameters]).concat(state.initialParameters);
  let lo = Math.min(...values), hi = Math.max(...values);
  if (!(hi > lo)) { lo = hi * 0.9 - 1; hi = hi * 1.02 + 1; }
  const padV = (hi - lo) * 0.08;
  lo = Math.max(0, lo - padV); hi += padV;
  const yv = (v: number) => chartTop + (1 - (v - lo) / (hi - lo)) * chartH;
  const vStep = niceStep(hi - lo, 4);
  for (let v = Math.ceil(lo / vStep) * vStep; v <= hi; v += vStep) {
    out.push(`<line x1="${pad.l}" x2="${f(pad.l + gridW)}" y1="${f(yv(v))}" y2="${f(yv(v))}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${pad.l - 6}" y="${f(yv(v) + 4)}" text-anchor="end">${paramLabel(v)}</text>`);
  }
  out.push(`<rect x="${pad.l}" y="${chartTop}" width="${gridW}" height="${chartH}" fill="none" stroke="#999"/>`);
  out.push(`<text x="14" y="${f(chartTop + chartH / 2)}" transform="rotate(-90 14 ${f(chartTop + chartH / 2)})" text-anchor="middle">parameters</text>`);
  const line = (key: 'parameters' | 'activeParameters') =>
    tl.map((r) => `${f(x(r.epoch))},${f(yv(r[key]))} ${f(x(r.epoch + 1))},${f(yv(r[key]))}`).join(' ');
  if (tl.length) {
    out.push(`<polyline fill="none" stroke="#f0a32f" stroke-width="1.5" stroke-dasharray="4 3" points="${line('activeParameters')}"/>`);
    out.push(`<polyline fill="none" stroke="#222" stroke-width="1.8" points="${line('parameters')}"/>`);
    const last = tl[tl.length - 1]!;
    // Key above the chart, where no line can cross it.
    out.push(`<line x1="${pad.l}" x2="${pad.l + 22}" y1="${chartTop - 10}" y2="${chartTop - 10}" stroke="#222" stroke-width="1.8"/>`);
    out.push(`<text x="${pad.l + 27}" y="${chartTop - 6}">parameters stored: ${last.parameters.toLocaleString('en-US')} at epoch ${last.epoch + 1} (unpruned ${state.initialParameters.toLocaleString('en-US')})</text>`);
    const kx = pad.l + gridW * 0.58;
    out.push(`<line x1="${f(kx)}" x2="${f(kx + 22)}" y1="${chartTop - 10}" y2="${chartTop - 10}" stroke="#f0a32f" stroke-width="1.5" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${f(kx + 27)}" y="${chartTop - 6}">in use (masked blocks excluded)</text>`);
  }

  // Grid: one run-length rectangle per stretch of equal state.
  const shown = displayLetters(state);
  const restorations: { x: number; y: number }[] = [];
  for (const r of rows) {
    let start = 0;
    const letterAt = (i: number) => shown(r.module, r.block, i);
    for (let i = 0; i < tl.length; i++) if (letterAt(i) === 'R') restorations.push({ x: x(tl[i]!.epoch), y: r.y });
    for (let i = 1; i <= tl.length; i++) {
      const cur = letterAt(start);
      if (i < tl.length && letterAt(i) === cur) continue;
      if (cur) {
        const e0 = tl[start]!.epoch, e1 = tl[i - 1]!.epoch + 1;
        out.push(`<rect x="${f(x(e0))}" y="${f(r.y)}" width="${f((e1 - e0) * cellW)}" height="${rowH - 2}" fill="${GRID_COLOURS[cur].fill}"/>`);
      }
      start = i;
    }
  }
  // Labels: PRM name at the first row of its group, block and kernel on every row.
  for (const m of state.modules) {
    const first = rows.find((r) => r.module === m.name)!;
    const last = [...rows].reverse().find((r) => r.module === m.name)!;
    const mid = (first.y + last.y + rowH - 2) / 2;
    out.push(`<text x="8" y="${f(mid + 4)}" font-weight="bold" font-size="12">${esc(m.name)}</text>`);
    out.push(`<line x1="48" x2="48" y1="${f(first.y)}" y2="${f(last.y + rowH - 2)}" stroke="#888"/>`);
    m.kernels.forEach((k, j) => {
      const r = rows.find((q) => q.module === m.name && q.block === j)!;
      out.push(`<text x="${pad.l - 6}" y="${f(r.y + rowH - 4)}" text-anchor="end" font-size="10">b${j} ${k.join('\u00d7')}</text>`);
    });
  }
  out.push(`<rect x="${pad.l}" y="${gridTop}" width="${gridW}" height="${f(gridBottom - gridTop)}" fill="none" stroke="#999"/>`);

  // Events and the stop epoch as vertical marks across chart and grid.
  const eventEpochs = [...new Set(state.events.map((e) => e.epoch))];
  for (const e of eventEpochs)
    out.push(`<line x1="${f(x(e))}" x2="${f(x(e))}" y1="${chartTop + chartH}" y2="${gridTop}" stroke="#666" stroke-width="1"/>`);
  const mark = stopMark(state, o.stopEpoch);
  if (mark) {
    const xs = f(x(mark.epoch));
    out.push(`<line x1="${xs}" x2="${xs}" y1="${chartTop}" y2="${f(gridBottom)}" stroke="#c0392b" stroke-dasharray="5 4" stroke-width="1.2"/>`);
    // Right of the line, or left of it where the label would run past the right edge.
    const labelW = textWidth(mark.text);
    const leftOfLine = xs + 4 + labelW > pad.l + gridW && xs - pad.l > pad.l + gridW - xs;
    // At a height that the parameter lines beside the label stay clear of: the bottom, the top or the
    // middle of the panel (the lines run low once pruning has removed blocks, high before).
    const span = Math.ceil(labelW / cellW), at = mark.epoch;
    const beside = tl.filter((r) => (leftOfLine ? r.epoch < at && r.epoch >= at - span : r.epoch >= at && r.epoch < at + span));
    const lineYs = beside.flatMap((r) => [yv(r.parameters), yv(r.activeParameters)]);
    const heights = [chartTop + chartH - 6, chartTop + 14, chartTop + chartH / 2 + 4, chartTop + chartH / 4 + 4, chartTop + (3 * chartH) / 4 + 4];
    const labelY = heights.find((ly) => lineYs.every((v) => v < ly - 12 || v > ly + 3)) ?? heights[0]!;
    out.push(`<text x="${leftOfLine ? xs - 4 : xs + 4}" y="${f(labelY)}"${leftOfLine ? ' text-anchor="end"' : ''} fill="#c0392b">${esc(mark.text)}</text>`);
  }
  // A restoration is one column wide: too thin to see over hundreds of epochs, so it gets a mark too
  // (drawn over the stop line, which is often at the same epoch).
  if (cellW < 4) for (const m of restorations) {
    out.push(`<line x1="${f(m.x + cellW / 2)}" x2="${f(m.x + cellW / 2)}" y1="${f(m.y)}" y2="${f(m.y + rowH - 2)}" stroke="${GRID_COLOURS.R.fill}" stroke-width="3"/>`);
  }
  out.push(`<text x="${pad.l}" y="${gridTop - 8}" fill="#555">ticks: pruning events</text>`);

  // Epoch axis: epoch n's tick at the middle of its column (1, then multiples of the step).
  const eStep = niceStep(epochs, 10, true);
  const ticks = [1, ...Array.from({ length: Math.floor(epochs / eStep) }, (_, i) => (i + 1) * eStep).filter((n) => n > 1)];
  for (const n of ticks) {
    const xc = x(n - 1) + cellW / 2;
    out.push(`<line x1="${f(xc)}" x2="${f(xc)}" y1="${f(gridBottom)}" y2="${f(gridBottom + 4)}" stroke="#555"/>`);
    out.push(`<text x="${f(xc)}" y="${f(gridBottom + 16)}" text-anchor="middle">${n}</text>`);
  }
  out.push(`<text x="${f(pad.l + gridW / 2)}" y="${f(gridBottom + 32)}" text-anchor="middle">epoch</text>`);

  // Legend.
  let lx = pad.l;
  const ly = gridBottom + 44;
  for (const { fill, label } of Object.values(GRID_COLOURS)) {
    out.push(`<rect x="${lx}" y="${f(ly)}" width="14" height="11" fill="${fill}" stroke="#999"/>`);
    out.push(`<text x="${lx + 19}" y="${f(ly + 10)}">${esc(label)}</text>`);
    lx += Math.max(90, 19 + textWidth(label) + 24);
  }
  out.push('</svg>');
  return out.join('\n');
}

export function writePruningGrid(path: string, state: PruningState, o: GridOptions = {}): void {
  writeFileAtomicSync(path, [pruningGridSvg(state, o)]);
}
