/** A dependency-free line chart as SVG: training curves people can open in any browser. */
export interface Series { name: string; values: number[]; color?: string }

const palette = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Three significant digits; small magnitudes in exponent form so that the label fits the left margin. */
function tickLabel(v: number): string {
  return v !== 0 && Math.abs(v) < 1e-2 ? v.toExponential(2) : String(+v.toPrecision(3));
}

export function lineChartSvg(title: string, series: Series[], { width = 640, height = 360, xLabel = 'step' } = {}): string {
  const pad = { l: 60, r: 20, t: 36, b: 44 };
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const n = Math.max(1, ...series.map((s) => s.values.length));
  let lo = Math.min(...all), hi = Math.max(...all);
  if (!(hi > lo)) { lo -= 1; hi += 1; }
  const x = (i: number) => pad.l + (n <= 1 ? 0 : (i / (n - 1)) * (width - pad.l - pad.r));
  const y = (v: number) => pad.t + (1 - (v - lo) / (hi - lo)) * (height - pad.t - pad.b);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => lo + f * (hi - lo));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    ...ticks.map((v) => `<line x1="${pad.l}" x2="${width - pad.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>` +
      `<text x="${pad.l - 6}" y="${y(v) + 4}" text-anchor="end">${tickLabel(v)}</text>`),
    `<text x="${(width + pad.l) / 2}" y="${height - 10}" text-anchor="middle">${esc(xLabel)} (1..${n})</text>`,
  ];
  const colors = series.map((s, k) => s.color ?? palette[k % palette.length]);
  series.forEach((s, k) => {
    const pts = s.values.map((v, i) => (Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : '')).filter(Boolean).join(' ');
    parts.push(`<polyline fill="none" stroke="${colors[k]}" stroke-width="1.5" points="${pts}"/>`);
  });
  // Names over every curve, each on a white halo, so that a curve running through a name leaves it readable.
  series.forEach((s, k) => parts.push(`<text x="${width - pad.r - 4}" y="${pad.t + 14 + 16 * k}" text-anchor="end" fill="${colors[k]}" `
    + `stroke="white" stroke-width="3" paint-order="stroke">${esc(s.name)}</text>`));
  parts.push('</svg>');
  return parts.join('\n');
}
