/**
 * The line charts of progress.svg and the report (src/util/svg_plot.ts): nice ticks, time axes from
 * 0, epochs counted from 1, and the curve names beside the plot area, where no curve runs.
 * Set PSPSEG_PROGRESS_SVG_OUT=path to keep the progress picture.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { lineChartSvg, niceAxis, niceStep } from '../src/util/svg_plot.js';
import { progressSvg } from '../src/train/progress_plot.js';
import type { EpochLog } from '../src/train/training_log.js';

test('niceStep: 1, 2, 2.5 or 5 x 10^k; whole numbers for counts', () => {
  assert.equal(niceStep(2.69, 6), 0.5);
  assert.equal(niceStep(0.187, 4), 0.05);
  assert.equal(niceStep(0.01, 4), 0.0025);
  assert.equal(niceStep(1000, 10), 100);
  assert.equal(niceStep(17, 8, true), 5, 'not 2.5 epochs');
  assert.equal(niceStep(199, 8, true), 25);
  assert.equal(niceStep(3, 8, true), 1);
});

test('niceAxis: ticks from a tick below the data to one above, labelled with the decimals the step needs', () => {
  // The loss axis: 0.181 .. 2.87 read 2.87 / 2.19 / 1.52 / 0.852 / 0.181.
  const loss = niceAxis(0.181, 2.87, 6);
  assert.deepEqual(loss.ticks.map(loss.label), ['0', '0.5', '1.0', '1.5', '2.0', '2.5', '3.0']);
  const dice = niceAxis(0, 0.187, 4);
  assert.deepEqual(dice.ticks.map(dice.label), ['0', '0.05', '0.10', '0.15', '0.20']);
  const lr = niceAxis(0, 0.01, 4);
  assert.deepEqual(lr.ticks.map(lr.label), ['0', '0.0025', '0.0050', '0.0075', '0.0100']);
  const tiny = niceAxis(0, 3e-4, 3);
  assert.deepEqual(tiny.ticks.map(tiny.label), ['0', '1e-4', '2e-4', '3e-4']);
  const negative = niceAxis(-0.83, -0.12, 4);
  assert.deepEqual(negative.ticks.map(negative.label), ['-1.0', '-0.8', '-0.6', '-0.4', '-0.2', '0']);
  const flat = niceAxis(5, 5);
  assert.ok(flat.lo < 5 && flat.hi > 5, 'a constant series still gets an axis around it');
});

/** The chart's plot area, y tick labels (top to bottom), x tick labels, legend entries and curve points. */
function parseChart(svg: string) {
  const area = /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="none" stroke="#999"\/>/.exec(svg);
  assert.ok(area, 'plot area');
  const [x, y, w, h] = area.slice(1, 5).map(Number) as [number, number, number, number];
  const yTicks = [...svg.matchAll(/<text x="[\d.]+" y="([\d.]+)" text-anchor="end">([^<]*)<\/text>/g)].map((m) => ({ y: Number(m[1]) - 4, label: m[2]! }));
  const xTicks = [...svg.matchAll(/<text x="([\d.]+)" y="[\d.]+" text-anchor="middle">(\d+)<\/text>/g)].map((m) => ({ x: Number(m[1]), label: m[2]! }));
  const legend = [...svg.matchAll(/<text x="([\d.]+)" y="([\d.]+)" class="legend">([^<]*)<\/text>/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]), name: m[3]! }));
  const points = [...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].flatMap((m) => m[1]!.split(' ').filter(Boolean).map((p) => p.split(',').map(Number) as [number, number]));
  return { area: { x, y, w, h }, yTicks, xTicks, legend, points };
}

test('lineChartSvg: curve names in a column right of the plot area, no curve point outside it', () => {
  const series = [
    { name: 'train loss', values: [2.5, 1.0, 0.9, 0.8, 0.7] },
    { name: 'validation loss', values: [1.1, 1.0, 0.95, 0.9, 0.92] },
    { name: 'train tr', values: [2.8, 2.7, 2.9, 2.85, 2.6] },
  ];
  const c = parseChart(lineChartSvg('losses', series, { width: 720, height: 300 }));
  const right = c.area.x + c.area.w;
  assert.deepEqual(c.legend.map((l) => l.name), series.map((s) => s.name));
  for (const l of c.legend) assert.ok(l.x > right, `'${l.name}' at x ${l.x} is right of the plot area (${right})`);
  assert.ok(c.legend[c.legend.length - 1]!.x + 6.6 * 'validation loss'.length <= 720, 'the longest name fits in the picture');
  assert.equal(c.points.length, 15);
  for (const [px, py] of c.points) {
    assert.ok(px >= c.area.x - 0.05 && px <= right + 0.05, `x ${px}`);
    assert.ok(py >= c.area.y - 0.05 && py <= c.area.y + c.area.h + 0.05, `y ${py}`);
  }
  // Nice ticks: every label a multiple of one step from 1, 2, 2.5, 5 x 10^k.
  const values = c.yTicks.map((t) => Number(t.label));
  const step = values[1]! - values[0]!;
  assert.ok([0.25, 0.5, 1].some((s) => Math.abs(step - s) < 1e-9), `step ${step}`);
  assert.equal(values[0], 0.5, 'from the multiple of 0.5 below 0.7');
  assert.equal(values[values.length - 1], 3, 'to the one above 2.9');
  // The axis ends are ticks: the lowest at the bottom of the plot area, the highest at its top.
  assert.ok(Math.abs(c.yTicks[0]!.y - (c.area.y + c.area.h)) < 0.1 && Math.abs(c.yTicks[c.yTicks.length - 1]!.y - c.area.y) < 0.1);
});

test('lineChartSvg: a time axis starts at 0; epochs count from 1; legend: false leaves the names to the caller', () => {
  const seconds = [1.6, 1.2, 1.4, 1.2, 1.1, 1.25, 1.2, 1.45, 2.95, 2.8, 2.85, 2.9];
  const wait = [0.116, 0.016, 0.014, 0.013, 0.012, 0.012, 0.012, 0.012, 0.012, 0.012, 0.012, 0.018];
  const timed = parseChart(lineChartSvg('epoch time (s)', [{ name: 'epoch', values: seconds }, { name: 'waiting for data', values: wait }], { yFromZero: true }));
  assert.equal(timed.yTicks[0]!.label, '0', 'not 0.012 s');
  assert.deepEqual(timed.yTicks.map((t) => t.label), ['0', '0.5', '1.0', '1.5', '2.0', '2.5', '3.0']);
  const epochs = timed.xTicks.map((t) => Number(t.label));
  assert.equal(epochs[0], 1);
  assert.equal(epochs[epochs.length - 1], 12);
  assert.ok(!epochs.includes(0));
  // epoch 1 at the left edge, epoch 12 at the right edge
  assert.ok(Math.abs(timed.xTicks[0]!.x - timed.area.x) < 0.1 && Math.abs(timed.xTicks[timed.xTicks.length - 1]!.x - (timed.area.x + timed.area.w)) < 0.1);
  const bare = parseChart(lineChartSvg('epoch time (s)', [{ name: 'epoch', values: seconds }], { width: 560, height: 280, legend: false }));
  assert.deepEqual(bare.legend, []);
  assert.equal(bare.area.x + bare.area.w, 560 - 20, 'no legend column: the plot takes the width');
});

function epochLog(epoch: number): EpochLog {
  return {
    epoch, lr: 0.01 * (1 - epoch / 12) ** 0.9, trainLoss: 2.5 / (1 + epoch), trainTerms: { seg: 2 / (1 + epoch), tr: 2.7 - 0.03 * epoch, rl: 1.7 / (1 + 0.2 * epoch) },
    valLoss: 1.05 - 0.04 * epoch, valTerms: {}, pseudoDice: [0.01 * epoch, 0.015 * epoch], meanPseudoDice: 0.0125 * epoch, ema: 0.01 * epoch, best: true,
    epochSeconds: 1.2 + 0.1 * (epoch % 3), trainSeconds: 1, valSeconds: 0.1, dataWaitSeconds: 0.116 / (1 + epoch), peakRssMB: 800, numParameters: 1000,
  };
}

test('progress.svg: every chart has its names beside the plot, the time, rate and Dice axes start at 0', () => {
  const svg = progressSvg(Array.from({ length: 12 }, (_, e) => epochLog(e)), ['Anterior', 'Posterior'], 'demo_psp_S fold 0');
  if (process.env.PSPSEG_PROGRESS_SVG_OUT) writeFileSync(process.env.PSPSEG_PROGRESS_SVG_OUT, svg);
  const charts = svg.split('<svg ').slice(2).map((c) => `<svg ${c}`);
  assert.equal(charts.length, 4, 'losses, pseudo Dice, learning rate, epoch time');
  const parsed = charts.map(parseChart);
  for (const c of parsed) {
    for (const l of c.legend) assert.ok(l.x > c.area.x + c.area.w, `'${l.name}' beside the plot`);
    assert.equal(c.xTicks[0]!.label, '1');
    assert.equal(c.xTicks[c.xTicks.length - 1]!.label, '12');
  }
  assert.deepEqual(parsed.map((c) => c.legend.length), [5, 4, 1, 2]);
  assert.deepEqual(new Set(parsed.map((c) => `${c.area.x} ${c.area.w}`)).size, 1, 'the stacked charts share one epoch axis');
  for (const k of [1, 2, 3]) assert.equal(parsed[k]!.yTicks[0]!.label, '0', `chart ${k} starts at 0`);
});
