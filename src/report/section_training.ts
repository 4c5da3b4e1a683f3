/** Section "Training": the curves of the training log (losses, pseudo Dice, learning rate, time) and its key epochs. */
import type { EpochLog } from '../train/training_log.js';
import { lineChartSvg, type Series } from '../util/svg_plot.js';
import type { FoldInputs } from './fold_inputs.js';
import { code, esc, fmtDuration, fmtNumber, notice, table } from './html.js';
import { eventsSentence, netChangeText, pruningOutcome } from './pruning_outcome.js';
import { inlineSvg } from './svg_inline.js';

const CHART = { width: 560, height: 280, xLabel: 'epoch', legend: false };
const COLOURS = ['#1f77b4', '#d62728', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

interface Chart { title: string; series: Series[]; yFromZero?: boolean }

/** A chart with its legend under it in HTML, which wraps to the figure's width (no legend column taking the plot's). */
function chartFigure(c: Chart): string {
  const series = c.series.map((s, i) => ({ ...s, color: s.color ?? COLOURS[i % COLOURS.length]! }));
  const svg = lineChartSvg(c.title, series, { ...CHART, yFromZero: c.yFromZero });
  const legend = series.map((s) => `<span class="swatch line" style="background:${s.color}"></span>${esc(s.name)}`).join(' ');
  return `<figure>${inlineSvg(svg, c.title)}<figcaption class="legend">${legend}</figcaption></figure>`;
}

export function labelNames(f: FoldInputs): string[] {
  const n = Math.max(0, ...f.epochs.map((e) => e.pseudoDice.length));
  const names = f.config?.dataset.labels.map((l) => l.name) ?? f.plan?.labels.filter((l) => l.value > 0).map((l) => l.name) ?? [];
  return Array.from({ length: n }, (_, i) => names[i] ?? `class ${i + 1}`);
}

function charts(logs: readonly EpochLog[], names: readonly string[]): Chart[] {
  const col = (fn: (e: EpochLog) => number) => logs.map(fn);
  const terms = [...new Set(logs.flatMap((e) => Object.keys(e.trainTerms)))];
  const losses: Series[] = [
    { name: 'training loss', values: col((e) => e.trainLoss) },
    { name: 'validation loss', values: col((e) => e.valLoss) },
    ...(terms.length > 1 ? terms.map((t) => ({ name: `training: ${t}`, values: col((e) => e.trainTerms[t] ?? NaN) })) : []),
  ];
  const dice: Series[] = [
    ...names.map((n, i) => ({ name: n, values: col((e) => e.pseudoDice[i] ?? NaN) })),
    { name: 'mean', values: col((e) => e.meanPseudoDice), color: '#2ca02c' },
    { name: 'moving average (EMA)', values: col((e) => e.ema), color: '#000000' },
  ];
  return [
    { title: 'loss (lower is better)', series: losses },
    { title: 'pseudo Dice on validation patches', series: dice, yFromZero: true },
    { title: 'learning rate', series: [{ name: 'learning rate', values: col((e) => e.lr) }], yFromZero: true },
    { title: 'seconds per epoch', yFromZero: true, series: [
      { name: 'whole epoch', values: col((e) => e.epochSeconds) },
      { name: 'of it waiting for data', values: col((e) => e.dataWaitSeconds) },
    ] },
  ];
}

function keyEpochs(logs: readonly EpochLog[], names: readonly string[]): string {
  const last = logs[logs.length - 1]!;
  let best = logs.filter((e) => e.best).pop();
  if (!best) best = last;
  const rows = [...(best === last ? [['best and last', best] as const] : [['best (highest EMA)', best] as const, ['last', last] as const])];
  return table(
    ['epoch', 'which', 'training loss', 'validation loss', ...names.map((n) => `pseudo Dice ${esc(n)}`), 'EMA', 'time'],
    rows.map(([which, e]) => [String(e.epoch + 1), which, fmtNumber(e.trainLoss, 4), fmtNumber(e.valLoss, 4),
      ...names.map((_, i) => fmtNumber(e.pseudoDice[i], 3)), fmtNumber(e.ema, 3), fmtDuration(e.epochSeconds)]),
    { textColumns: 2 },
  );
}

/** What pruning did while training, event by event, and the net change (nothing when there was no event). */
function pruningNote(f: FoldInputs): string {
  const o = pruningOutcome(f);
  if (o.status === 'off' || !o.events.length) return '';
  return `\n<p id="training-pruning">Pruning: ${esc(eventsSentence(o.events))}. Net change: ${esc(netChangeText(o))}.</p>`;
}

export function trainingSection(f: FoldInputs): string {
  const out = ['<section id="training"><h2>Training</h2>'];
  const logs = f.epochs;
  if (!logs.length) {
    const log = f.files.find((x) => x.what === 'training log');
    out.push(notice(log?.status === 'missing'
      ? `The training log (${code('training_log.jsonl')}) was not found, so there are no training curves.`
      : `No epoch was found in the training log (${code('training_log.jsonl')}); the run may not have finished an epoch.`));
    if (f.progressSvg) out.push('<p>The trainer\'s own plot (progress.svg):</p>', `<figure>${inlineSvg(f.progressSvg, 'training progress')}</figure>`);
    out.push('</section>');
    return out.join('\n');
  }
  const names = labelNames(f);
  const planned = f.config?.epochs;
  out.push(`<p>${logs.length} epoch(s) logged${planned ? ` of ${planned} planned` : ''}. Each epoch trains on random patches of the
training cases; the validation loss and the <em>pseudo Dice</em> are measured on patches of the validation cases
(a quick estimate during training: per class, the overlap summed over the patches, not the final evaluation).
The moving average (EMA) of the mean pseudo Dice chooses the best checkpoint.</p>${pruningNote(f)}`);
  out.push('<div class="charts">', ...charts(logs, names).map(chartFigure), '</div>');
  out.push('<h3>Key epochs</h3>', keyEpochs(logs, names));
  out.push('</section>');
  return out.join('\n');
}
