/**
 * A dependency-free line chart as SVG: training curves people can open in any browser. The x axis
 * counts epochs from 1 (value i of a series is epoch i + 1, as the console prints them); both axes
 * have "nice" ticks (steps of 1, 2, 2.5 or 5 x 10^k); the curve names sit in a column right of the
 * plot area, where no curve runs.
 */
export interface Series { name: string; values: number[]; color?: string }

export interface ChartOptions {
  width?: number;
  height?: number;
  xLabel?: string;
  /** The y axis starts at 0 (times, rates, Dice: quantities whose zero means something). */
  yFromZero?: boolean;
  /** Draw the curve names beside the plot (default true; false when the caller shows them itself). */
  legend?: boolean;
  /** At least this wide a legend column (charts stacked on one page then share their x axis). */
  legendWidth?: number;
}

/** The legend column a chart needs for these names: a 20 px line sample and the name at about 6.6 px per character (12 px sans-serif). */
export function legendWidth(names: readonly string[]): number {
  const shown = names.filter((n) => n !== '');
  return shown.length ? 34 + Math.ceil(6.6 * Math.max(...shown.map((n) => n.length))) : 0;
}

const palette = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const r1 = (v: number) => +v.toFixed(1);

/**
 * The smallest of 1, 2, 2.5, 5 x 10^k that splits `range` into at most `target` steps; `whole`: a
 * whole number, for counts such as epochs (2.5 only from 25 on).
 */
export function niceStep(range: number, target: number, whole = false): number {
  if (!(range > 0) || !Number.isFinite(range)) return 1;
  const raw = range / Math.max(1, target);
  if (whole && raw <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) {
    if (whole && !Number.isInteger(m * p)) continue;
    if (m * p >= raw * (1 - 1e-9)) return m * p;
  }
  return 10 * p;
}

export interface Axis {
  lo: number;
  hi: number;
  step: number;
  ticks: number[];
  /** A tick value as text, with the decimals the step needs and no more. */
  label: (v: number) => string;
}

/** Nice ticks covering [lo, hi]: the axis runs from a tick to a tick. */
export function niceAxis(lo: number, hi: number, target = 5): Axis {
  if (!(hi > lo)) { const d = lo === 0 ? 1 : Math.abs(lo) * 0.1; lo -= d; hi += d; }
  const step = niceStep(hi - lo, target);
  // Rounding against the step's own scale so that 0.30000000000000004 counts as 0.3.
  const snap = (v: number) => +(Math.round(v / step) * step).toPrecision(12);
  const first = snap(Math.floor(lo / step + 1e-9) * step);
  const last = snap(Math.ceil(hi / step - 1e-9) * step);
  const ticks: number[] = [];
  for (let k = 0; first + k * step <= last + step * 1e-9; k++) ticks.push(snap(first + k * step));
  // Decimals: enough for the step (2.5 x 10^k needs one more than 10^k).
  const mant = step / 10 ** Math.floor(Math.log10(step));
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + (Math.abs(mant - 2.5) < 1e-9 ? 1 : 0));
  const exponent = step < 1e-3;
  const label = (v: number): string => {
    if (v === 0) return '0';
    if (exponent) {
      const e = Math.floor(Math.log10(step));
      return `${+(v / 10 ** e).toFixed(Math.abs(mant - 2.5) < 1e-9 ? 1 : 0)}e${e}`;
    }
    return v.toFixed(decimals);
  };
  return { lo: first, hi: last, step, ticks, label };
}

export function lineChartSvg(title: string, series: Series[], o: ChartOptions = {}): string {
  const width = o.width ?? 640, height = o.height ?? 360, xLabel = o.xLabel ?? 'epoch';
  const named = o.legend === false ? [] : series.map((s, k) => ({ s, k })).filter(({ s }) => s.name !== '');
  const legendW = named.length ? Math.max(o.legendWidth ?? 0, legendWidth(named.map(({ s }) => s.name))) : 0;
  const pad = { l: 64, r: 20 + legendW, t: 36, b: 46 };
  const plotW = width - pad.l - pad.r, plotH = height - pad.t - pad.b;
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const n = Math.max(1, ...series.map((s) => s.values.length));
  let lo = all.length ? Math.min(...all) : 0, hi = all.length ? Math.max(...all) : 1;
  if (o.yFromZero) { lo = Math.min(0, lo); hi = Math.max(0, hi); }
  const yAxis = niceAxis(lo, hi, Math.max(3, Math.floor(plotH / 36)));
  // Epochs 1..n; one epoch still gets an axis of some width.
  const xHi = Math.max(n, 2);
  const x = (epoch: number) => pad.l + ((epoch - 1) / (xHi - 1)) * plotW;
  const y = (v: number) => pad.t + (1 - (v - yAxis.lo) / (yAxis.hi - yAxis.lo)) * plotH;
  const xStep = niceStep(xHi - 1, Math.max(2, Math.floor(plotW / 60)), true);
  const xTicks = [1, ...Array.from({ length: Math.floor(xHi / xStep) }, (_, i) => (i + 1) * xStep).filter((e) => e > 1 && e <= xHi)];

  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${r1(pad.l + plotW / 2)}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    ...yAxis.ticks.map((v) => `<line x1="${pad.l}" x2="${pad.l + plotW}" y1="${r1(y(v))}" y2="${r1(y(v))}" stroke="#ddd"/>` +
      `<text x="${pad.l - 6}" y="${r1(y(v) + 4)}" text-anchor="end">${yAxis.label(v)}</text>`),
    ...xTicks.map((e) => `<line x1="${r1(x(e))}" x2="${r1(x(e))}" y1="${pad.t + plotH}" y2="${pad.t + plotH + 4}" stroke="#555"/>` +
      `<text x="${r1(x(e))}" y="${pad.t + plotH + 17}" text-anchor="middle">${e}</text>`),
    `<rect x="${pad.l}" y="${pad.t}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
    `<text x="${r1(pad.l + plotW / 2)}" y="${height - 8}" text-anchor="middle">${esc(xLabel)}</text>`,
  ];
  const colors = series.map((s, k) => s.color ?? palette[k % palette.length]!);
  series.forEach((s, k) => {
    const pts = s.values.map((v, i) => (Number.isFinite(v) ? `${x(i + 1).toFixed(1)},${y(v).toFixed(1)}` : '')).filter(Boolean).join(' ');
    parts.push(`<polyline fill="none" stroke="${colors[k]}" stroke-width="1.5" points="${pts}"/>`);
  });
  // Legend right of the plot area: no curve can run through it.
  const rowH = Math.min(18, plotH / Math.max(1, named.length));
  const lx = pad.l + plotW + 14;
  named.forEach(({ s, k }, i) => {
    const ly = pad.t + 8 + i * rowH;
    parts.push(`<line x1="${lx}" x2="${lx + 20}" y1="${r1(ly)}" y2="${r1(ly)}" stroke="${colors[k]}" stroke-width="2"/>` +
      `<text x="${lx + 26}" y="${r1(ly + 4)}" class="legend">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
