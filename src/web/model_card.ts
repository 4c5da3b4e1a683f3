/**
 * The model card: what the network is, what pruning made of it, what it was trained on and how well it
 * did on its validation cases, as HTML for the page. The pruning grid is the export's SVG, shown as an
 * image (an image never runs scripts, whoever made the model file).
 */
import type { DeployedModelInfo } from '../infer/deployed_model.js';
import { esc, fmtInt } from '../report/html.js';
import { cssColour, labelColour } from '../report/overlay.js';

/** "5,369,416 -> 4,168,147 (22.4% fewer)"; the one count when the network is not prunable or pruning removed nothing. */
export function parameterText(before: number | null, after: number): string {
  if (before === null) return fmtInt(after);
  if (before === after) return `${fmtInt(after)} (pruning removed none)`;
  const removed = (100 * (before - after)) / before;
  return `${fmtInt(before)} \u2192 ${fmtInt(after)} (${removed.toFixed(1)}% fewer)`;
}

const row = (term: string, value: string): string => `<dt>${esc(term)}</dt><dd>${value}</dd>`;
const swatch = (value: number): string => `<span class="swatch" style="background:${cssColour(labelColour(value))}"></span>`;

function diceTable(info: DeployedModelInfo): string {
  const v = info.validation;
  if (!v) return '<p class="muted">Validation Dice: not known (the fold was not evaluated before it was exported).</p>';
  const rows = info.labels.filter((l) => l.value !== 0).map((l) => {
    const d = v.perClass[l.name];
    return `<tr><td>${swatch(l.value)}${esc(l.name)}</td><td class="num">${d === undefined ? '\u2013' : d.toFixed(3)}</td></tr>`;
  });
  return `<table class="dice"><thead><tr><th>validation Dice, ${v.cases} case${v.cases === 1 ? '' : 's'}</th><th class="num"></th></tr></thead><tbody>${rows.join('')}`
    + `<tr class="mean"><td>mean</td><td class="num">${v.meanDice.toFixed(3)}</td></tr></tbody></table>`;
}

function pruningFacts(info: DeployedModelInfo): string {
  const p = info.pruning;
  if (!p) return row('Pruning', 'none (a network without prunable blocks, or pruning was off)');
  const what = p.deletedBlocks === 0 ? `no block deleted of ${p.totalBlocks}` : `${p.deletedBlocks} of ${p.totalBlocks} blocks deleted`;
  return row('Pruning', esc(what));
}

function pruningGrid(info: DeployedModelInfo): string {
  const svg = info.pruning?.gridSvg;
  if (!svg) return '';
  const src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  return `<figure class="grid"><img alt="pruning grid: every block's state per epoch (active, masked, deleted)" src="${src}">`
    + '<figcaption>Pruning during training: each row a block, each column an epoch.</figcaption></figure>';
}

/** The card's inner HTML. */
export function modelCardHtml(info: DeployedModelInfo): string {
  const n = info.network;
  const cases = info.dataset.trainingCases === null ? '' : `, ${fmtInt(info.dataset.trainingCases)} cases`;
  const fold = info.fold === null ? '' : info.fold === 'all' ? '; trained on every case (no held-out fold)' : `; cross-validation fold ${info.fold}`;
  const facts = [
    row('Network', `${esc(n.name)}`),
    row('Parameters', esc(parameterText(n.parametersBeforePruning, n.parameters))),
    pruningFacts(info),
    row('Trained on', esc(`${info.dataset.name}${cases}${fold}`)),
    row('Input', esc(`${info.channels.join(', ')} (${info.channels.length} channel${info.channels.length === 1 ? '' : 's'})`)),
    row('Labels', info.labels.filter((l) => l.value !== 0).map((l) => `${swatch(l.value)}${esc(l.name)}`).join(' ')),
    // stored in the network's array order (z, y, x); shown per image axis x, y, z, as every pspseg command shows triples
    row('Patch', esc(`${[...info.patchSize].reverse().join(' x ')} voxels (x, y, z)`)),
    row('WebGPU', n.webgpu ? 'can run on WebGPU' : esc(`WASM only${n.webgpuNote ? `: ${n.webgpuNote}` : ''}`)),
    row('Weights', esc(`checkpoint '${info.checkpoint}'${n.halfWeights ? ', stored as float16' : ''}`)),
    row('Exported', esc(`${info.exportedAt.slice(0, 10)} by pspseg ${info.pspsegVersion}`)),
  ];
  return `<div class="card-cols"><dl class="facts">${facts.join('')}</dl>${diceTable(info)}</div>${pruningGrid(info)}`;
}
