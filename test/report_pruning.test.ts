/**
 * What the report says pruning did, for the runs of test/helpers/pruning_runs.ts written as fold
 * folders beside the toy fold (test/helpers/report_fold.ts): the header card (parameters before and
 * after, blocks deleted of how many, when and why pruning stopped), what each event did and the net
 * change, and epochs counted from 1. The expected figures are counted here from the fake network's
 * block sizes, not taken from the report's own sources.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport } from '../src/report/report.js';
import { type ToyFold, makeToyFold, writeRunFold } from './helpers/report_fold.js';
import { sNetwork } from './helpers/pruning_runs.js';

let root: string;
let toy: ToyFold;
const pages: Record<string, string> = {};

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'pspseg-report-pruning-'));
  toy = await makeToyFold(root, { evaluation: false });
  for (const run of ['restored', 'deleted', 'running', 'off'] as const) pages[run] = (await buildReport(await writeRunFold(toy, `run_${run}`, run))).html;
});
after(() => rmSync(root, { recursive: true, force: true }));

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&gt;/g, '>').replace(/\s+/g, ' ').trim();
const card = (page: string): string => {
  const m = /<div class="card ([\w-]+)" id="pruning-outcome">([\s\S]*?)<\/div>/.exec(page);
  assert.ok(m, 'the pruning card');
  assert.ok(page.indexOf(m[0]) < page.indexOf('<main>'), 'in the header, above the sections');
  return `${m[1]}: ${text(m[2]!)}`;
};
const part = (page: string, re: RegExp): string => { const m = re.exec(page); assert.ok(m, String(re)); return text(m[1]!); };

// The fake S network: block j of a PRM with c channels holds c*c + 10j + 1 parameters; 100,000 elsewhere.
const CHANNELS = [32, 64, 128, 256, 128, 64, 32];
const block = (c: number, j: number) => c * c + 10 * j + 1;
const INITIAL = 100_000 + CHANNELS.reduce((n, c) => n + [0, 1, 2, 3].reduce((s, j) => s + block(c, j), 0), 0);
const fmt = (n: number) => n.toLocaleString('en-US');

test('the reference counts: the fake network holds the parameters counted here', () => {
  assert.equal(sNetwork().numParameters(), INITIAL);
});

test('report card: masked at epoch 5, restored at epoch 7 (over-pruned, step 1 -> 0): pruning removed nothing, and says why and when it stopped', () => {
  assert.equal(card(pages.restored!),
    'nothing-removed: Pruning removed nothing: the blocks masked at epoch 5 were over-pruned and restored at epoch 7; ' +
    'pruning stopped at the start of epoch 7 (prune step reached 0). ' +
    `net change none: the network ends with all 28 blocks and the ${fmt(INITIAL)} parameters it was built with pruning events 3 ( what each did )`);
});

test('report card: a run that deleted blocks: parameters before -> after with the percentage, blocks deleted of how many, the stop', () => {
  // b3 of every PRM deleted at epoch 7, b2 at epoch 20 (the scripted search masks the highest active block).
  const removed = CHANNELS.reduce((n, c) => n + block(c, 2) + block(c, 3), 0);
  const pct = ((100 * removed) / INITIAL).toFixed(1);
  assert.equal(card(pages.deleted!),
    `removed: Pruning removed ${fmt(removed)} of ${fmt(INITIAL)} parameters (${pct}%), 14 of 28 blocks; pruning stopped at the start of epoch 20 (stop epoch reached). ` +
    `net change 14 of 28 blocks deleted, ${fmt(INITIAL)} \u2192 ${fmt(INITIAL - removed)} parameters (${pct}% removed) pruning events 5 ( what each did )`);
});

test('report card: a run still pruning when training ended, and one trained without pruning', () => {
  assert.match(card(pages.running!), /^nothing-removed: Pruning removed nothing: the blocks masked at epoch 5 were still only masked when training ended; pruning had not stopped when training ended after epoch 40; it was to stop at its first event from epoch 17 on\. net change none: .*; 7 blocks still masked \(stored but unused\) when training ended/);
  assert.equal(card(pages.off!), `off: Trained without pruning: pruning is switched off in config.json (pruning.enabled: false). parameters ${fmt(INITIAL)}`);
  assert.doesNotMatch(part(pages.off!, /<section id="training">([\s\S]*?)<\/section>/), /Pruning:/);
  assert.match(part(pages.off!, /<section id="pruning">([\s\S]*?)<\/section>/), /trained without pruning: pruning is switched off in config\.json/);
});

test('report card: a fold with no config, no pruning event and no state says it has no record of pruning, not that it was not pruned', async () => {
  const fold = join(toy.workDir, 'models', 'run_off', 'fold_0');
  renameSync(join(fold, 'config.json'), join(fold, 'config.json.away'));
  try {
    assert.equal(card((await buildReport(fold)).html),
      `off: No record of pruning: no config.json, no pruning event in the training log, no pruning state in a checkpoint. parameters ${fmt(INITIAL)}`);
  } finally {
    renameSync(join(fold, 'config.json.away'), join(fold, 'config.json'));
  }
});

test('report: what each event did and the net change, instead of "pruning changed the network at epochs 5, 7"', () => {
  const page = pages.restored!;
  assert.doesNotMatch(page, /changed the network/);
  assert.equal(part(page, /<p id="training-pruning">([\s\S]*?)<\/p>/),
    'Pruning: at the start of epoch 5 it masked 7 blocks (switched off to try the network without them; ' +
    `${fmt(INITIAL - CHANNELS.reduce((n, c) => n + block(c, 3), 0))} of ${fmt(INITIAL)} parameters in use); ` +
    'at the start of epoch 7 it restored the 7 blocks masked at epoch 5 (over-pruned: the loss got worse without them); the prune step went down to 0, ' +
    'then stopped pruning (prune step reached 0). ' +
    `Net change: none: the network ends with all 28 blocks and the ${fmt(INITIAL)} parameters it was built with.`);
  const steps = [...page.matchAll(/<li>(At the start of [^<]*)<\/li>/g)].map((m) => m[1]!.replace(/ \(.*/, ''));
  assert.deepEqual(steps, ['At the start of epoch 5: masked 7 blocks', 'At the start of epoch 7: restored the 7 blocks masked at epoch 5', 'At the start of epoch 7: stopped pruning']);
  const deleted = part(pages.deleted!, /<p id="training-pruning">([\s\S]*?)<\/p>/);
  assert.match(deleted, /at the start of epoch 7 it deleted the 7 blocks masked at epoch 5 for good .*, then masked 7 blocks .*at the start of epoch 20 it deleted the 7 blocks masked at epoch 7 for good/);
  assert.match(deleted, /Net change: 14 of 28 blocks deleted/);
});

test('report: epochs counted from 1 everywhere: the last of 40 epochs is epoch 40, the grid marks the real stop', () => {
  const page = pages.restored!;
  const words = text(page.replace(/<style>[\s\S]*?<\/style>|<svg[\s\S]*?<\/svg>/g, ' ')); // the charts' axes hold bare numbers
  assert.match(words, /40 epoch\(s\) logged of 40 planned/);
  assert.doesNotMatch(words, /\bepoch(?:\(s\))? (?:0|39)\b/, 'no epoch 0, no "epoch 39" for the last of 40');
  const grid = part(page, /<section id="pruning">([\s\S]*?)<h3>/);
  assert.match(grid, /parameters stored: [\d,]+ at epoch 40/);
  assert.match(grid, /pruning stopped at the start of epoch 7 \(prune step reached 0\)/, 'redrawn from the checkpoint state');
  assert.doesNotMatch(grid, /planned end|pruning ends/);
  const rows = [...page.matchAll(/<table id="pruning-events"[\s\S]*?<\/table>/g)][0]![0];
  assert.deepEqual([...rows.matchAll(/<tr><td[^>]*>(\d+)<\/td>/g)].map((m) => m[1]), ['5', '7', '7']);
  assert.match(page, /pruning, at the start of epoch 5\/40: masked 7 block/, 'the trainer\'s lines as it printed them');
});

test('report: an old pruning.svg (stop fraction as "pruning ends", restored blocks blue) is replaced by the grid redrawn from the state', async () => {
  const fold = join(toy.workDir, 'models', 'run_restored', 'fold_0');
  writeFileSync(join(fold, 'pruning.svg'), '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>pruning ends (epoch 16)</text></svg>\n');
  const { html, inputs } = await buildReport(fold);
  assert.doesNotMatch(html, /pruning ends \(epoch 16\)/);
  assert.match(html, /pruning stopped at the start of epoch 7/);
  assert.match(inputs.files.find((x) => x.what === 'pruning grid')!.detail ?? '', /redraws it from \S*checkpoint_final\.state\.safetensors/);
});
