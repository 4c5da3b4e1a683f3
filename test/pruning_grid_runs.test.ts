/**
 * pruning.svg for the runs of test/helpers/pruning_runs.ts (the real controller on scripted losses,
 * 40 epochs, stop fraction 0.4): the stop line where pruning actually stopped, restored blocks active
 * again after their restoration, epochs counted from 1. Set PSPSEG_PRUNING_SVG_DIR=folder to keep the
 * pictures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GRID_COLOURS, formatPruningEvent, pruningGridSvg } from '../src/pruning/index.js';
import { PRM_NAMES, RUN_EPOCHS, type RunKind, pruningRun } from './helpers/pruning_runs.js';

// The grid's layout at its defaults: epochs from x = 132, 900 px wide.
const LEFT = 132, WIDTH = 900;
const xOf = (index: number) => LEFT + (index * WIDTH) / RUN_EPOCHS;

async function grid(kind: RunKind): Promise<string> {
  const { state, stopEpoch } = await pruningRun(kind);
  const svg = pruningGridSvg(state, { stopEpoch });
  const dir = process.env.PSPSEG_PRUNING_SVG_DIR;
  if (dir) { mkdirSync(dir, { recursive: true }); writeFileSync(join(dir, `pruning_${kind}.svg`), svg); }
  return svg;
}

/** The dashed stop line's x and its label. */
function stopLine(svg: string): { x: number; label: string } | null {
  const line = /<line x1="([\d.]+)" x2="[\d.]+" y1="[\d.]+" y2="[\d.]+" stroke="#c0392b" stroke-dasharray/.exec(svg);
  const label = /<text [^>]*fill="#c0392b">([^<]*)<\/text>/.exec(svg);
  if (!line) { assert.equal(label, null, 'a stop label without its line'); return null; }
  assert.ok(label, 'the stop line has a label');
  return { x: Number(line[1]), label: label[1]! };
}

/** The cells of one block's row, left to right: [first epoch index, epochs, state letter]. */
function rowCells(svg: string, module: string, block: number): [number, number, string][] {
  const byFill = Object.fromEntries(Object.entries(GRID_COLOURS).map(([k, v]) => [v.fill, k]));
  const cells = [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="11" fill="(#[0-9a-f]+)"\/>/g)]
    .map((m) => ({ x: +m[1]!, y: +m[2]!, w: +m[3]!, fill: m[4]! }));
  const ys = [...new Set(cells.map((c) => c.y))].sort((a, b) => a - b);
  assert.equal(ys.length, PRM_NAMES.length * 4);
  const y = ys[PRM_NAMES.indexOf(module) * 4 + block]!;
  const epochW = WIDTH / RUN_EPOCHS;
  return cells.filter((c) => c.y === y).sort((a, b) => a.x - b.x)
    .map((c) => [Math.round((c.x - LEFT) / epochW), Math.round(c.w / epochW), byFill[c.fill] ?? c.fill]);
}

test('pruning.svg: pruning stopped by the step reaching 0 at the start of epoch 7: the line is there, not at the planned stop', async () => {
  const svg = await grid('restored');
  const stop = stopLine(svg);
  assert.ok(stop);
  assert.equal(stop.x, xOf(6), 'the left edge of epoch 7 (index 6)');
  assert.equal(stop.label, 'pruning stopped at the start of epoch 7 (prune step reached 0)');
  assert.doesNotMatch(svg, /planned|pruning ends|epoch 17/, 'the stop fraction (index 16) is not marked once pruning has stopped');
});

test('pruning.svg: blocks restored at epoch 7 are drawn restored in that epoch only, active after it', async () => {
  const svg = await grid('restored');
  // The scripted search masks each PRM's highest active block: b3 everywhere, masked in epochs 5-6
  // (indices 4, 5), restored at the start of epoch 7 (index 6), active in epochs 8-40.
  for (const m of PRM_NAMES) {
    assert.deepEqual(rowCells(svg, m, 3), [[0, 4, 'A'], [4, 2, 'M'], [6, 1, 'R'], [7, 33, 'A']], `${m}.b3`);
    assert.deepEqual(rowCells(svg, m, 0), [[0, 40, 'A']], `${m}.b0 never changed`);
  }
  assert.match(svg, /<text [^>]*>restored \(that epoch; active after it\)<\/text>/, 'the legend says what the blue cell means');
});

test('pruning.svg: epochs are counted from 1 on the axis and in the parameter key', async () => {
  const svg = await grid('restored');
  assert.match(svg, /parameters stored: [\d,]+ at epoch 40 \(unpruned [\d,]+\)/, 'the last of 40 epochs is epoch 40');
  const axis = [...svg.matchAll(/<text x="([\d.]+)" y="[\d.]+" text-anchor="middle">(\d+)<\/text>/g)].map((m) => [Number(m[2]), Number(m[1])] as const);
  const labels = axis.map(([n]) => n);
  assert.equal(labels[0], 1);
  assert.equal(labels[labels.length - 1], 40);
  assert.ok(!labels.includes(0), 'no epoch 0');
  // Epoch n's tick is under the middle of its column (index n - 1).
  for (const [n, x] of axis) assert.ok(Math.abs(x - (xOf(n - 1) + WIDTH / RUN_EPOCHS / 2)) < 0.01, `tick ${n} at ${x}`);
});

test('pruning.svg: a run that stopped at the stop fraction marks its stop event; one still pruning marks the planned stop', async () => {
  const deleted = stopLine(await grid('deleted'));
  assert.ok(deleted);
  assert.equal(deleted.x, xOf(19));
  assert.equal(deleted.label, 'pruning stopped at the start of epoch 20 (stop epoch reached)');
  const running = stopLine(await grid('running'));
  assert.ok(running);
  assert.equal(running.x, xOf(16), 'ceil(0.4 x 40) = index 16');
  assert.equal(running.label, 'planned end of pruning: start of epoch 17');
  const { state } = await pruningRun('restored');
  assert.equal(stopLine(pruningGridSvg({ ...state, phase: 'stopped', masked: [], stopReason: 'disabled', events: [] }, { stopEpoch: 16 })), null, 'pruning disabled: no stop line');
});

test('console event lines count epochs from 1: the events at index 4 and 6 are at the start of epochs 5 and 7', async () => {
  const { state } = await pruningRun('restored');
  assert.deepEqual(state.events.map((e) => formatPruningEvent(e).replace(/:.*/, '')),
    ['pruning, at the start of epoch 5', 'pruning, at the start of epoch 7', 'pruning, at the start of epoch 7']);
  assert.match(formatPruningEvent(state.events[2]!), /pruning stopped \(prune step reached 0\)/);
  assert.match(formatPruningEvent(state.events[0]!, { epochLabel: 'at the start of epoch 5/40' }), /^pruning, at the start of epoch 5\/40: masked 7 block/);
});
