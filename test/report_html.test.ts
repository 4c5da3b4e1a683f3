/**
 * report.html from a made-up fold folder (test/helpers/report_fold.ts): every section, the per-case
 * table against Dice counted by hand, three slice pictures per shown case (valid PNGs of the sizes
 * the voxel spacing implies), no network references, and what the report says when parts are
 * missing (no evaluation, not pruned, optional files absent). `pspseg report` writes the file.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { report } from '../src/cli/commands/report.js';
import { parsePruningState } from '../src/pruning/state.js';
import { saveSafetensors } from '../src/tensor/index.js';
import { PANEL_LONG_SIDE } from '../src/report/case_overlays.js';
import { PANEL_GAP } from '../src/report/overlay.js';
import { buildReport } from '../src/report/report.js';
import { decodeRgbPng } from './helpers/png_decode.js';
import { CASES, SHAPE, SPACING, type ToyFold, makeToyFold } from './helpers/report_fold.js';

let root: string;
let toy: ToyFold;
let html: string;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'pspseg-report-'));
  toy = await makeToyFold(root);
  html = (await buildReport(toy.fold)).html;
});
after(() => rmSync(root, { recursive: true, force: true }));

const section = (page: string, id: string): string => {
  const m = new RegExp(`<section id="${id}">([\\s\\S]*?)</section>`).exec(page);
  assert.ok(m, `section ${id}`);
  return m[1]!;
};
const tableRows = (page: string, id: string): string[][] => {
  const t = new RegExp(`<table id="${id}"[^>]*>([\\s\\S]*?)</table>`).exec(page);
  assert.ok(t, `table ${id}`);
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(t[1]!)![1]!;
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) => [...r[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '').trim()));
};

test('report: every section is there, with the dataset, plan and settings', () => {
  for (const id of ['dataset', 'training', 'pruning', 'cost', 'evaluation', 'examples', 'files']) section(html, id);
  const d = section(html, 'dataset');
  assert.match(d, /Boxes in a gradient/);
  assert.match(d, /1: Core; 2: Rim/);
  assert.match(d, /PSP-Seg S/);
  assert.match(d, /fold 0: 1 training and 3 validation cases/);
  assert.match(d, /seed, device, precision<\/[^>]+>\s*<[^>]+>0, cpu, bf16</, "config.json's runtime.precision");
  assert.match(section(html, 'cost'), /training on cpu, bf16/);
  assert.match(d, /voxel spacing/);
  assert.match(d, /patches of 16 \u00d7 16 \u00d7 8 \(x, y, z\) voxels/, "the config's network-order patch [8, 16, 16] per image axis, as every command prints it");
});

test('report: self-contained: no URL, no external resource, styles and script inline', () => {
  assert.doesNotMatch(html, /https?:\/\//);
  assert.doesNotMatch(html, /<link\b/);
  assert.doesNotMatch(html, /<script[^>]+src=/);
  assert.doesNotMatch(html, /<img(?![^>]*src="data:image\/png;base64,)[^>]*>/, 'every picture is an inline PNG');
  assert.match(html, /<style>[\s\S]+<\/style>/);
});

test('report: training curves from the log, pruning grid inlined, events and final architecture', () => {
  const t = section(html, 'training');
  assert.equal((t.match(/<svg\b/g) ?? []).length, 4, 'loss, pseudo Dice, learning rate, time');
  assert.match(t, /3 epoch\(s\) logged of 3 planned/);
  assert.match(t, /Pruning: at the start of epoch 2 it masked 1 block \([^)]*\); at the start of epoch 3 it deleted the 1 block masked at epoch 2 for good/);
  const p = section(html, 'pruning');
  assert.match(p, /<svg[^>]*class="chart"[^>]*><rect id="toy-grid"/, 'pruning.svg inlined without its XML prolog and namespace');
  const events = tableRows(html, 'pruning-events');
  assert.deepEqual(events.map((r) => [r[0], r[1], r[2], r[4], r[5], r[6]]), [
    ['2', 'masked (converged)', 'enc1.b1 (3x3x3)', '12,000', '12,000', '11,000'],
    ['3', 'deleted (converged)', 'enc1.b1 (3x3x3)', '12,000', '9,000', '8,500'],
  ]);
  // the final architecture: enc1 keeps 2 of 3 blocks, enc2 3 (one masked, still there), dec1 none
  const arch = tableRows(html, 'final-architecture').map((r) => [r[0], r[1], r[3], r[4]]);
  assert.deepEqual(arch, [['enc1', 'encoder', '16', '2 / 3'], ['enc2', 'bottleneck', '32', '2 / 3'], ['dec1', 'decoder', '16', '0 / 3 (identity)']]);
  assert.equal((p.match(/class="chip deleted"/g) ?? []).length, 4);
});

test('report: without pruning.svg the grid is redrawn from the newest checkpoint\'s pruning state', async () => {
  const grid = join(toy.fold, 'pruning.svg');
  renameSync(grid, `${grid}.away`);
  const kernels: [number, number, number][] = [[1, 1, 1], [3, 3, 3], [5, 5, 5]];
  const state = parsePruningState({
    version: 1, pruning: false, stopReason: 'stop-fraction', step: 1, lastEventEpoch: 2, lastEpoch: 2, totalEpochs: 3,
    masked: [], restored: [], modules: [{ name: 'enc1', kernels }, { name: 'enc2', kernels }, { name: 'dec1', kernels }],
    initialParameters: 12000, architecture: { enc1: 'ADA', enc2: 'AAM', dec1: 'DDD' }, events: toy.events,
    timeline: [
      { epoch: 0, parameters: 12000, activeParameters: 12000, blocks: { enc1: 'AAA', enc2: 'AAA', dec1: 'AAA' } },
      { epoch: 1, parameters: 12000, activeParameters: 11000, blocks: { enc1: 'AMA', enc2: 'AAA', dec1: 'AAA' } },
      { epoch: 2, parameters: 9000, activeParameters: 8500, blocks: { enc1: 'ADA', enc2: 'AAM', dec1: 'DDD' } },
    ],
  });
  const write = (kind: string, epoch: number, s: unknown) =>
    saveSafetensors(join(toy.fold, `checkpoint_${kind}.state.safetensors`), new Map(), { trainer: JSON.stringify({ epoch, pruning: s }) });
  write('best', 1, { ...state, timeline: state.timeline.slice(0, 1) }); // older: not the one drawn
  write('final', 3, state);
  try {
    const page = (await buildReport(toy.fold)).html;
    const p = section(page, 'pruning');
    assert.match(p, /Progressive pruning: block states per epoch/);
    assert.match(p, /parameters stored: 9,000 at epoch 3 \(unpruned 12,000\)/, 'the final checkpoint\'s timeline, its last of 3 epochs');
    assert.match(section(page, 'files'), /pruning grid[\s\S]*?missing[\s\S]*?redrawn from \S*checkpoint_final\.state\.safetensors/);
  } finally {
    renameSync(`${grid}.away`, grid);
    for (const k of ['best', 'final']) rmSync(join(toy.fold, `checkpoint_${k}.state.safetensors`));
  }
});

test('report: cost figures from the log, the checkpoint-less folder and the predict log', () => {
  const rows = Object.fromEntries(tableRows(html, 'cost-table').map(([k, v]) => [k, v]));
  assert.equal(rows['parameters at the start'], '12,000');
  assert.equal(rows['parameters at the end'], '9,000 (25.0% fewer)');
  assert.equal(rows['parameters in use at the end (masked blocks excluded)'], '8,500');
  assert.equal(rows['time per epoch (mean)'], '11.0 s'); // 10, 11, 12
  assert.equal(rows['training time (sum of the epochs)'], '33.0 s');
  assert.equal(rows['share of it spent waiting for data'], `${(100 * 1.5 / 33).toFixed(1)}%`);
  assert.equal(rows['peak memory in training (process RSS)'], '720 MB');
  assert.equal(rows['inference time per case (mean)'], '2.00 s'); // 1, 2, 3
  assert.equal(rows['peak memory in inference (process RSS)'], '420 MB');
  assert.match(rows['weights file']!, /no checkpoint/);
});

test('report: per-case table holds the Dice counted by hand, and marks best, median and worst', () => {
  const rows = tableRows(html, 'per-case');
  assert.deepEqual(rows.map((r) => r[0]), [...CASES]);
  for (const r of rows) {
    const d = toy.dice[r[0]!]!;
    assert.equal(r[2], ((d[1]! + d[2]!) / 2).toFixed(4), `${r[0]} mean Dice`);
    assert.equal(r[3], d[1]!.toFixed(4), `${r[0]} Core Dice`);
    assert.equal(r[6], d[2]!.toFixed(4), `${r[0]} Rim Dice`);
  }
  assert.deepEqual(rows.map((r) => r[1]), ['best', 'median', 'worst']); // a perfect, b core shrunk, c shifted
  assert.equal(rows[0]![5], '0.00', 'HD95 of a perfect prediction');
  const ev = section(html, 'evaluation');
  assert.match(ev, /They cover 3 of this fold's 3 validation cases/);
  assert.doesNotMatch(ev, /toy_d/, 'the unpredicted training case is not reported missing');
  const means = tableRows(html, 'class-means');
  assert.equal(means[0]![3], ((toy.dice.toy_a![1]! + toy.dice.toy_b![1]! + toy.dice.toy_c![1]!) / 3).toFixed(4));
});

test('report: three slice pictures per shown case, PNGs of the sizes the spacing implies', () => {
  const mm = SHAPE.map((n, i) => n * SPACING[i]!); // 20, 16, 24 mm
  // axial: x across, y down; coronal: x across, z down; sagittal: y across, z down; the longer side
  // PANEL_LONG_SIDE pixels, the other in proportion; reference | gap | prediction
  const size = (h: number, v: number) => {
    const scale = PANEL_LONG_SIDE / Math.max(mm[h]!, mm[v]!);
    return [2 * Math.round(mm[h]! * scale) + PANEL_GAP, Math.round(mm[v]! * scale)];
  };
  const expected = [size(0, 1), size(0, 2), size(1, 2)];
  for (const id of CASES) {
    const m = new RegExp(`<article class="case" id="case-${id}">([\\s\\S]*?)</article>`).exec(html);
    assert.ok(m, `pictures of ${id}`);
    const uris = [...m[1]!.matchAll(/src="data:image\/png;base64,([^"]+)"/g)].map((x) => Buffer.from(x[1]!, 'base64'));
    assert.equal(uris.length, 3, `${id}: axial, coronal, sagittal`);
    uris.forEach((png, k) => {
      const img = decodeRgbPng(png);
      assert.deepEqual([img.width, img.height], expected[k], `${id} view ${k}`);
    });
    assert.match(m[1]!, /axial[\s\S]*coronal[\s\S]*sagittal/);
    assert.match(m[1]!, /class="dir left"[^>]*>R</, 'orientation letters');
  }
  // the perfect case: both panels identical, pixel for pixel
  const best = /<article class="case" id="case-toy_a">[\s\S]*?base64,([^"]+)"/.exec(html)!;
  const img = decodeRgbPng(Buffer.from(best[1]!, 'base64'));
  const w = (img.width - PANEL_GAP) / 2;
  for (let r = 0; r < img.height; r += 7) {
    const left = img.rgb.subarray(3 * r * img.width, 3 * (r * img.width + w));
    const right = img.rgb.subarray(3 * (r * img.width + w + PANEL_GAP), 3 * (r + 1) * img.width);
    assert.deepEqual([...left], [...right], `row ${r}`);
  }
});

test('report: no evaluation: the sections say how to produce one; a named --summary is used instead', async () => {
  const moved = join(root, 'elsewhere');
  renameSync(join(toy.fold, 'validation'), moved);
  try {
    const page = (await buildReport(toy.fold)).html;
    const ev = section(page, 'evaluation');
    assert.match(ev, /No evaluation found/);
    assert.match(ev, /pspseg predict -m \S+fold_0 \\\n  -o \S+fold_0\/validation/);
    assert.match(ev, /-i \S+imagesTr\/toy_a\.nii\.gz/);
    assert.doesNotMatch(ev, /toy_d\.nii/, 'only the validation cases');
    assert.match(ev, /pspseg evaluate \S+validation \\\n  \S+Toy \\\n  --model \S+fold_0 --allow-missing/);
    assert.match(section(page, 'examples'), /need an evaluation/);
    assert.doesNotMatch(page, /<img/);
    assert.match(section(page, 'files'), /evaluation summary[\s\S]*?missing/);
    // the evaluation in another folder, by name: predictions are found beside it
    const named = (await buildReport(toy.fold, { summary: join(moved, 'summary.json') })).html;
    assert.equal((named.match(/<img /g) ?? []).length, 9);
    await assert.rejects(buildReport(toy.fold, { summary: join(root, 'nope.json') }), /nope\.json: no such evaluation summary/);
  } finally {
    renameSync(moved, join(toy.fold, 'validation'));
  }
});

test('report: a model that was not pruned has no grid; missing optional files are named', async () => {
  const fold = join(root, 'unpruned');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(fold);
  copyFileSync(join(toy.fold, 'config.json'), join(fold, 'config.json'));
  writeFileSync(join(fold, 'architecture.json'), JSON.stringify({ kind: 'small-unet', inChannels: 1, classes: 3, widths: [16, 32, 64] }));
  const log = readFileSync(join(toy.fold, 'training_log.jsonl'), 'utf8').split('\n').filter((l) => l && !l.includes('"pruning"'));
  writeFileSync(join(fold, 'training_log.jsonl'), `${log.join('\n')}\n`);
  writeFileSync(join(fold, 'checkpoint_latest.state.safetensors'), 'oops');
  const { html: page, inputs } = await buildReport(fold);
  assert.deepEqual(inputs.files.filter((f) => f.what === 'checkpoint state').map((f) => [f.status, f.detail]), [['unreadable', 'too short to be a safetensors file']]);
  const p = section(page, 'pruning');
  assert.doesNotMatch(p, /<svg/);
  assert.match(p, /nothing to prune/);
  assert.doesNotMatch(section(page, 'training'), /Pruning:/);
  assert.match(page, /<div class="card off" id="pruning-outcome"><p class="headline">Trained without pruning: the network has no parallel blocks to prune\.<\/p>/);
  const files = section(page, 'files');
  assert.match(files, /training progress plot[\s\S]*?progress\.svg[\s\S]*?missing/);
  assert.ok(inputs.files.some((f) => f.path.endsWith('summary.json') && f.status === 'missing'));
  assert.match(section(page, 'evaluation'), /No evaluation found/);
});

test('pspseg report: writes MODEL_FOLDER/report.html atomically and prints its path', async () => {
  const printed: string[] = [];
  const log = console.log;
  console.log = (s: string) => { printed.push(s); };
  let code: number;
  try { code = await report.run([toy.fold]); } finally { console.log = log; }
  assert.equal(code, 0);
  const path = join(toy.fold, 'report.html');
  assert.deepEqual(printed, [path]);
  assert.ok(existsSync(path));
  assert.match(readFileSync(path, 'utf8'), /^<!DOCTYPE html>[\s\S]*<\/html>\n$/);
  assert.deepEqual(readdirSync(toy.fold).filter((f) => f.includes('.tmp-')), [], 'no temporary file left');
  assert.equal(await report.run([join(root, 'no-such-fold')]), 1);
});
