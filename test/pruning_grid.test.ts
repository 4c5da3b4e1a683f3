/**
 * pruning.svg and the final summary, from a simulated 1000-epoch run of an S-shaped network (fake
 * PRMs with PSP-Seg S's block parameter counts; logs from a toy loss that reacts to masking).
 * Set PSPSEG_PRUNING_SVG_OUT=path to keep the picture.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import {
  type BlockSearch, type EpochLosses, GRID_COLOURS, PruningController, type TimelineLetter, type Triple,
  formatArchitectureSummary, formatPruningEvent, resolvePruningSettings, summarizeArchitecture, writePruningGrid,
} from '../src/pruning/index.js';
import { Random } from '../src/util/random.js';
import { FakeNetwork, FakePRM, KERNELS4 } from './pruning_fakes.js';

/** Parameters of an efficient block: conv 1x1x1 C->h, IN, conv k h->C, IN, scalar weight (docs/method.md, "Efficient block"). */
const ebParameters = (c: number, r: number, k: Triple) => {
  const h = Math.floor(c * r);
  return c * h + h + 2 * h + h * c * k[0] * k[1] * k[2] + c + 2 * c + 1;
};

function sNetwork(): FakeNetwork {
  const prms: [string, number][] = [['enc1', 32], ['enc2', 64], ['enc3', 128], ['enc4', 256], ['dec3', 128], ['dec2', 64], ['dec1', 32]];
  const modules = prms.map(([n, c]) => new FakePRM(n, KERNELS4, KERNELS4.map((k) => ebParameters(c, 0.5, k))));
  const inPrms = modules.reduce((n, m) => n + m.numParameters(), 0);
  return new FakeNetwork(modules, 5_368_735 - inPrms); // the authors' S count for 1 channel, 3 classes
}

test('the S block parameter counts add up to the authors\' S total', () => {
  // Independent check of ebParameters: the PRMs of S hold 5,368,735 - (everything else).
  const prmTotal = sNetwork().modules.reduce((n, m) => n + m.numParameters(), 0);
  assert.equal(prmTotal, [32, 64, 128, 256, 128, 64, 32].reduce((n, c) => n + KERNELS4.reduce((s, k) => s + ebParameters(c, 0.5, k), 0), 0));
});

/** Simulates training: a decaying loss with noise; masking an important block costs loss while masked. */
async function simulate() {
  const network = sNetwork();
  const rnd = new Random(2024);
  const importance = new Map<string, number>();
  // Most blocks barely matter; some (more of them deep in the network) matter a lot.
  for (const m of network.modules) m.kernels.forEach((_, j) => importance.set(`${m.name}.${j}`,
    rnd.bool(m.name === 'enc4' || m.name === 'dec3' ? 0.6 : 0.3) ? rnd.uniform(0.01, 0.03) : rnd.uniform(0, 0.0002)));
  const search: BlockSearch = async (modules, step) => ({
    choices: modules.map((m) => {
      const active = m.blocks().filter((b) => b.state === 'active').map((b) => b.index);
      const blocks = active.sort((a, b) => importance.get(`${m.name}.${a}`)! - importance.get(`${m.name}.${b}`)!).slice(0, step).sort();
      return { module: m.name, blocks, score: 0, scores: [] };
    }),
    report: { batches: 0, combinations: 0, peakHeldBytes: 0, keepAllBytes: 0, seconds: 0 },
  });
  const settings = resolvePruningSettings({}, 'S');
  const controller = PruningController.start(settings, network, 1000);
  const logs: EpochLosses[] = [];
  const lines: string[] = [];
  for (let e = 0; e < 1000; e++) {
    for (const ev of await controller.onEpochStart(e, logs, { network, optimizer: null, search })) lines.push(formatPruningEvent(ev));
    let penalty = 0;
    for (const m of network.modules) m.states.forEach((s, j) => { if (s === 'masked') penalty += importance.get(`${m.name}.${j}`)!; });
    const base = 0.3 + 0.7 * Math.exp(-e / 25);
    const noise = () => rnd.normal(0, 0.0015);
    logs.push({ epoch: e, loss: base + penalty + noise(), tr: 0.5 * base + penalty / 2 + noise(), rl: 0.2 * base + penalty / 4 + noise() });
  }
  return { network, controller, lines };
}

test('pruning.svg: one row per block, every epoch coloured once, final colours match the final states', async () => {
  const { network, controller, lines } = await simulate();
  const state = controller.state();
  const kinds = new Set(state.events.map((e) => e.kind));
  assert.ok(kinds.has('masked') && kinds.has('deleted'), `a run with masking and deletion (${[...kinds]})`);
  assert.equal(state.timeline.length, 1000);

  const path = process.env.PSPSEG_PRUNING_SVG_OUT ?? join(mkdtempSync(join(tmpdir(), 'pspseg-grid-')), 'pruning.svg');
  writePruningGrid(path, state, { stopEpoch: 400, title: 'PSP-Seg S (simulated run): block states per epoch' });
  const svg = readFileSync(path, 'utf8');
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>$/);
  // Row labels: every block with its kernel; PRM names.
  for (const m of state.modules) {
    assert.ok(svg.includes(`>${m.name}</text>`), m.name);
    m.kernels.forEach((k, j) => assert.ok(svg.includes(`>b${j} ${k.join('\u00d7')}</text>`), `${m.name} b${j}`));
  }
  // Grid cells: rectangles without a stroke, height 11 (the legend's have a stroke).
  const cells = [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="11" fill="(#[0-9a-f]+)"\/>/g)]
    .map((m) => ({ x: +m[1]!, y: +m[2]!, w: +m[3]!, fill: m[4]! }));
  const rows = new Map<number, typeof cells>();
  for (const c of cells) rows.set(c.y, [...(rows.get(c.y) ?? []), c]);
  assert.equal(rows.size, 28, '7 PRMs x 4 blocks');
  const ys = [...rows.keys()].sort((a, b) => a - b);
  const fillOf = Object.fromEntries(Object.entries(GRID_COLOURS).map(([k, v]) => [v.fill, k as TimelineLetter]));
  // What a cell should show: a restored block (R) is active again, except in the epoch it was restored
  // in (its first R after another state).
  const shown = (name: string, j: number, i: number) => {
    const letter = state.timeline[i]!.blocks[name]![j]!;
    return letter === 'R' && i > 0 && state.timeline[i - 1]!.blocks[name]![j] === 'R' ? 'A' : letter;
  };
  assert.ok(state.timeline.some((t) => Object.values(t.blocks).some((b) => b.includes('R'))), 'the run restores blocks');
  let r = 0;
  for (const m of state.modules) for (let j = 0; j < m.kernels.length; j++, r++) {
    const row = rows.get(ys[r]!)!.sort((a, b) => a.x - b.x);
    assert.ok(Math.abs(row.reduce((s, c) => s + c.w, 0) - 900) < 0.05 * row.length + 1e-6, `${m.name}.b${j} covers every epoch`);
    for (let i = 1; i < row.length; i++) assert.ok(Math.abs(row[i]!.x - (row[i - 1]!.x + row[i - 1]!.w)) < 0.02, 'no gaps, no overlaps');
    const last = shown(m.name, j, 999);
    assert.equal(fillOf[row[row.length - 1]!.fill], last, `${m.name}.b${j} ends ${last}`);
    // Every change of what is shown starts a new rectangle.
    const changes = state.timeline.filter((_, i) => i > 0 && shown(m.name, j, i) !== shown(m.name, j, i - 1)).length;
    assert.equal(row.length, changes + 1, `${m.name}.b${j}`);
  }
  const summary = summarizeArchitecture(network, state.initialParameters);
  console.log(lines.join('\n'));
  console.log(formatArchitectureSummary(summary));
});

test('the final summary: surviving blocks, parameters per PRM and in total, reduction', async () => {
  const { network, controller } = await simulate();
  const s = summarizeArchitecture(network, controller.state().initialParameters);
  assert.equal(s.initialParameters, 5_368_735);
  for (const m of s.modules) {
    const fake = network.modules.find((f) => f.name === m.name)!;
    assert.deepEqual(m.surviving, fake.states.flatMap((st, j) => (st === 'active' ? [j] : [])));
    assert.equal(m.parameters, fake.states.reduce((n, st, j) => n + (st === 'deleted' ? 0 : fake.params[j]!), 0));
  }
  const deleted = network.modules.reduce((n, m) => n + m.states.reduce((k, st, j) => k + (st === 'deleted' ? m.params[j]! : 0), 0), 0);
  assert.ok(deleted > 0);
  assert.equal(s.totalParameters, 5_368_735 - deleted);
  assert.ok(Math.abs(s.reduction - deleted / 5_368_735) < 1e-12);
  const text = formatArchitectureSummary(s);
  assert.match(text, /^PRM\s+kept\s+surviving blocks \(kernel\)/);
  assert.ok(text.includes(`total parameters ${s.totalParameters.toLocaleString('en-US')} (unpruned 5,368,735,`));
  assert.equal(text.split('\n').length, 7 + 2);
});

test('pruning.svg: the planned-stop label sits clear of the parameter lines beside it, wherever the stop line is', async () => {
  const { controller } = await simulate();
  const simulated = controller.state();
  // As in a real short run, the last event deletes what was masked: from epoch 300 on, stored and in-use
  // parameters are both the run's lowest, so the lines run along the bottom of the panel there. Still
  // pruning (no stop event yet), so the line marks the planned stop.
  const lowest = Math.min(...simulated.timeline.map((r) => r.activeParameters));
  const state = {
    ...simulated, phase: simulated.masked.length ? 'trial' as const : 'watching' as const, stopReason: null, events: simulated.events.filter((e) => e.kind !== 'stopped'),
    timeline: simulated.timeline.map((r) => (r.epoch >= 300 ? { ...r, parameters: lowest, activeParameters: lowest } : r)),
  };
  const dir = mkdtempSync(join(tmpdir(), 'pspseg-grid-stop-'));
  for (const stopEpoch of [2, 400, 950]) { // before any event (lines high), after the deletions (lines low), near the right edge (label left of the line)
    const path = join(dir, `pruning_${stopEpoch}.svg`);
    writePruningGrid(path, state, { stopEpoch });
    const svg = readFileSync(path, 'utf8');
    const label = svg.match(/<text x="([\d.]+)" y="([\d.]+)"( text-anchor="end")? fill="#c0392b">(planned end of pruning: start of epoch (\d+))<\/text>/);
    assert.ok(label, `stop ${stopEpoch}: label drawn`);
    assert.equal(Number(label[5]), stopEpoch + 1, 'counted from 1: index 400 is the start of epoch 401');
    const lx = Number(label[1]), ly = Number(label[2]);
    const w = 6.5 * label[4]!.length; // a little over the label's width at font size 11
    const [x0, x1] = label[3] ? [lx - w, lx] : [lx, lx + w];
    assert.ok(x0 >= 132 - 1 && x1 <= 132 + 900 + 24, `stop ${stopEpoch}: the label stays inside the picture (${x0}..${x1})`);
    // The two parameter lines: horizontal runs "x1,y x2,y" per epoch.
    const segments = [...svg.matchAll(/<polyline fill="none" stroke="(?:#222|#f0a32f)"[^>]* points="([^"]+)"\/>/g)]
      .flatMap((m) => m[1]!.split(' ').map((p) => p.split(',').map(Number) as [number, number]))
      .reduce<[number, number, number][]>((acc, p, i, all) => (i % 2 ? [...acc, [all[i - 1]![0], p[0], p[1]]] : acc), []);
    assert.ok(segments.length > 0);
    for (const [sx0, sx1, sy] of segments) {
      if (sx1 < x0 || sx0 > x1) continue;
      assert.ok(sy < ly - 12 || sy > ly + 3, `stop ${stopEpoch}: a parameter line at y ${sy} runs through the label at y ${ly}`);
    }
  }
});
