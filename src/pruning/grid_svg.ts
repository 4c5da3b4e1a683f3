/**
 * pruning.svg: the paper's Fig. 4. One row per block (grouped by PRM, labelled with its kernel), one
 * column per epoch, coloured by state; the parameter count over the epochs above it.
 */
import type { PruningState, TimelineLetter } from './state.js';
import { writeFileAtomicSync } from '../util/atomic_write.js';

export const GRID_COLOURS: Record<TimelineLetter, { fill: string; label: string }> = {
  A: { fill: '#3f9b5c', label: 'active' },
  M: { fill: '#f0a32f', label: 'masked' },
  D: { fill: '#e4e4e4', label: 'deleted' },
  R: { fill: '#3a78c9', label: 'restored' },
};

export interface GridOptions {
  title?: string;
  /** Width of the epoch axis in pixels. */
  gridWidth?: number;
  rowHeight?: number;
  /** Epoch at which pruning stops for good (drawn as a dashed line), e.g. 0.4 * epochs. */
  stopEpoch?: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const f = (v: number) => +v.toFixed(2);

function niceStep(range: number, target: number): number {
  const raw = range / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

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
    out.push(`<text x="${pad.l + 27}" y="${chartTop - 6}">parameters stored: ${last.parameters.toLocaleString('en-US')} at epoch ${last.epoch} (unpruned ${state.initialParameters.toLocaleString('en-US')})</text>`);
    const kx = pad.l + gridW * 0.58;
    out.push(`<line x1="${f(kx)}" x2="${f(kx + 22)}" y1="${chartTop - 10}" y2="${chartTop - 10}" stroke="#f0a32f" stroke-width="1.5" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${f(kx + 27)}" y="${chartTop - 6}">in use (masked blocks excluded)</text>`);
  }

  // Grid: one run-length rectangle per stretch of equal state.
  for (const r of rows) {
    let start = 0;
    const letterAt = (i: number) => tl[i]?.blocks[r.module]?.[r.block] as TimelineLetter | undefined;
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
  if (o.stopEpoch !== undefined) {
    const xs = f(x(o.stopEpoch));
    out.push(`<line x1="${xs}" x2="${xs}" y1="${chartTop}" y2="${f(gridBottom)}" stroke="#c0392b" stroke-dasharray="5 4" stroke-width="1.2"/>`);
    // Right of the line, or left of it when the line is near the right edge.
    const right = xs > pad.l + 0.75 * gridW;
    // In the panel's half that the parameter lines beside the label (about 160 px of epochs) stay out
    // of: the bottom unless they run low there, as they do once pruning has removed blocks.
    const span = Math.ceil(160 / cellW), stop = o.stopEpoch;
    const beside = tl.filter((r) => (right ? r.epoch < stop && r.epoch >= stop - span : r.epoch >= stop && r.epoch < stop + span));
    const low = beside.some((r) => Math.max(yv(r.parameters), yv(r.activeParameters)) > chartTop + chartH / 2);
    out.push(`<text x="${right ? xs - 4 : xs + 4}" y="${f(low ? chartTop + 14 : chartTop + chartH - 6)}"${right ? ' text-anchor="end"' : ''} fill="#c0392b">pruning ends (epoch ${stop})</text>`);
  }
  out.push(`<text x="${pad.l}" y="${gridTop - 8}" fill="#555">ticks: pruning events</text>`);

  // Epoch axis.
  const eStep = niceStep(epochs, 10);
  for (let e = 0; e <= epochs; e += eStep) {
    out.push(`<line x1="${f(x(e))}" x2="${f(x(e))}" y1="${f(gridBottom)}" y2="${f(gridBottom + 4)}" stroke="#555"/>`);
    out.push(`<text x="${f(x(e))}" y="${f(gridBottom + 16)}" text-anchor="middle">${e}</text>`);
  }
  out.push(`<text x="${f(pad.l + gridW / 2)}" y="${f(gridBottom + 32)}" text-anchor="middle">epoch</text>`);

  // Legend.
  let lx = pad.l;
  const ly = gridBottom + 44;
  for (const { fill, label } of Object.values(GRID_COLOURS)) {
    out.push(`<rect x="${lx}" y="${f(ly)}" width="14" height="11" fill="${fill}" stroke="#999"/>`);
    out.push(`<text x="${lx + 19}" y="${f(ly + 10)}">${label}</text>`);
    lx += 90;
  }
  out.push('</svg>');
  return out.join('\n');
}

export function writePruningGrid(path: string, state: PruningState, o: GridOptions = {}): void {
  writeFileAtomicSync(path, [pruningGridSvg(state, o)]);
}
