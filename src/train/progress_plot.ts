/**
 * progress.svg, redrawn every epoch like nnU-Net's progress.png: losses (train, validation and
 * each term), pseudo Dice per class with its mean and EMA, the learning rate, and epoch times.
 */
import { legendWidth, lineChartSvg, type Series } from '../util/svg_plot.js';
import type { EpochLog } from './training_log.js';

const WIDTH = 720, HEIGHT = 300;

/** One SVG with the charts stacked vertically (each chart is a nested <svg>). */
export function progressSvg(logs: readonly EpochLog[], labelNames: readonly string[], title: string): string {
  const col = (f: (e: EpochLog) => number) => logs.map(f);
  const termNames = [...new Set(logs.flatMap((e) => Object.keys(e.trainTerms)))];
  const losses: Series[] = [
    { name: 'train loss', values: col((e) => e.trainLoss) },
    { name: 'val loss', values: col((e) => e.valLoss) },
    ...(termNames.length > 1 ? termNames.map((t) => ({ name: `train ${t}`, values: col((e) => e.trainTerms[t] ?? NaN) })) : []),
  ];
  const dice: Series[] = [
    ...labelNames.map((n, i) => ({ name: `pseudo Dice ${n}`, values: col((e) => e.pseudoDice[i] ?? NaN) })),
    { name: 'mean pseudo Dice', values: col((e) => e.meanPseudoDice), color: '#2ca02c' },
    { name: 'EMA', values: col((e) => e.ema), color: '#000000' },
  ];
  const lr: Series[] = [{ name: 'lr', values: col((e) => e.lr) }];
  const times: Series[] = [
    { name: 'epoch', values: col((e) => e.epochSeconds) },
    { name: 'waiting for data', values: col((e) => e.dataWaitSeconds) },
  ];
  // One legend width for all: the stacked charts then share their epoch axis.
  const common = { width: WIDTH, legendWidth: legendWidth([...losses, ...dice, ...lr, ...times].map((s) => s.name)) };
  const charts = [
    lineChartSvg(`${title}: losses`, losses, { ...common, height: HEIGHT }),
    lineChartSvg('pseudo Dice (validation patches)', dice, { ...common, height: HEIGHT, yFromZero: true }),
    lineChartSvg('learning rate', lr, { ...common, height: HEIGHT * 0.7, yFromZero: true }),
    lineChartSvg('epoch time (s)', times, { ...common, height: HEIGHT * 0.7, yFromZero: true }),
  ];
  let y = 0;
  const parts: string[] = [];
  for (const c of charts) {
    const h = Number(/height="([\d.]+)"/.exec(c)![1]);
    parts.push(c.replace('<svg ', `<svg x="0" y="${y}" `));
    y += h;
  }
  return [`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}">`, ...parts, '</svg>'].join('\n');
}
