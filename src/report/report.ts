/**
 * report.html: one self-contained page about a trained model fold (inline CSS, inline SVG charts,
 * PNG pictures as data: URIs, no network request, a few lines of script only to sort tables), for
 * readers who do not know pspseg: the dataset and plan, the training curves, the pruning grid and
 * the final architecture, the cost, the evaluation per class and per case, and slice pictures of
 * the best, median and worst case. Every part says what is missing and how to produce it.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic_write.js';
import { type RankedCase, caseOverlay, pickCases } from './case_overlays.js';
import { type FoldInputs, REPORT_FILE, type ReadFoldOptions, readFoldInputs } from './fold_inputs.js';
import { code, esc, facts, fmtDuration, fmtInt, fmtNumber, table } from './html.js';
import { PAGE_CSS, SORT_SCRIPT } from './page_style.js';
import { headline, netChangeText, pruningOutcome } from './pruning_outcome.js';
import { costFigures, costSection } from './section_cost.js';
import { datasetSection } from './section_dataset.js';
import { evaluationSection } from './section_evaluation.js';
import { type OverlayResult, overlaysSection } from './section_overlays.js';
import { pruningSection } from './section_pruning.js';
import { trainingSection } from './section_training.js';

function title(f: FoldInputs): string {
  const c = f.config;
  const dataset = f.dataset?.name ?? c?.dataset.name ?? f.plan?.dataset.name;
  const model = c ? `${c.name}, fold ${c.fold}` : f.folder.split('/').slice(-2).join('/');
  return `${dataset ? `${dataset}: ` : ''}model ${model}`;
}

function glance(f: FoldInputs): string {
  const cost = costFigures(f);
  const items: [string, string][] = [];
  if (f.summary && f.summary.metric_per_case.length) items.push([fmtNumber(f.summary.foreground_mean.Dice, 3), `mean Dice over ${f.summary.metric_per_case.length} case(s)`]);
  if (cost.finalParameters !== null) {
    const fewer = cost.initialParameters && cost.initialParameters !== cost.finalParameters ? `, ${(100 * (1 - cost.finalParameters / cost.initialParameters)).toFixed(0)}% pruned` : '';
    items.push([fmtInt(cost.finalParameters), `parameters${fewer}`]);
  }
  if (cost.totalTrainingSeconds !== null) items.push([fmtDuration(cost.totalTrainingSeconds), `training, ${cost.epochs} epoch(s)`]);
  if (cost.meanCaseSeconds !== null) items.push([fmtDuration(cost.meanCaseSeconds), 'inference per case']);
  return items.length ? `<div class="glance">${items.map(([v, k]) => `<div><b>${esc(v)}</b><span>${esc(k)}</span></div>`).join('')}</div>` : '';
}

/** The card under the title: what pruning removed (or that it removed nothing, or did not run), and how it ended. */
function pruningCard(f: FoldInputs): string {
  const o = pruningOutcome(f);
  const rows: [string, string][] = [];
  if (o.status !== 'off') {
    rows.push(['net change', esc(netChangeText(o))]);
    rows.push(['pruning events', o.events.length ? `${o.events.length} (<a href="#pruning-steps">what each did</a>)` : 'none']);
  } else if (o.parametersAfter !== null) {
    rows.push(['parameters', fmtInt(o.parametersAfter)]);
  }
  return `<div class="card ${o.status}" id="pruning-outcome"><p class="headline">${esc(headline(o))}</p>${rows.length ? facts(rows) : ''}</div>`;
}

function filesSection(f: FoldInputs): string {
  const rows = f.files.map((x) => [x.what, { html: code(x.path) },
    { html: x.status === 'read' ? 'read' : `<strong>${x.status}</strong>${x.optional ? ' (optional)' : ''}` },
    x.detail ?? '']);
  return ['<section id="files"><h2>Input files</h2>',
    `<p>This report was built by ${code(`pspseg report ${f.folder}`)} from these files; run it again to rebuild it after they change.</p>`,
    table(['what', 'file', 'status', 'note'], rows, { textColumns: 4 }), '</section>'].join('\n');
}

/** The page for already read inputs and rendered overlays. */
export function reportHtml(f: FoldInputs, ranked: readonly RankedCase[], overlays: readonly OverlayResult[], now = new Date()): string {
  const heading = title(f);
  const sections = [datasetSection(f), trainingSection(f), pruningSection(f), costSection(f), evaluationSection(f, ranked), overlaysSection(f, overlays), filesSection(f)];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(heading)}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<header class="top"><div>
<h1>${esc(heading)}</h1>
<p class="lead">A report on one trained 3D segmentation model: a neural network that labels structures voxel by voxel in
medical images. It was trained with pspseg, which can shrink networks while they train (progressive pruning, PSP-Seg).
Below: the data it learnt from, how training went, what pruning removed, what it costs, and how well it segments
cases it did not train on.</p>
${glance(f)}
${pruningCard(f)}
<nav><a href="#dataset">Dataset and plan</a><a href="#training">Training</a><a href="#pruning">Pruning and architecture</a><a href="#cost">Cost</a><a href="#evaluation">Evaluation</a><a href="#examples">Examples</a><a href="#files">Input files</a></nav>
</div></header>
<main>
${sections.join('\n')}
<footer>Written ${esc(now.toISOString().replace('T', ' ').slice(0, 16))} UTC from ${code(f.folder)}.</footer>
</main>
<script>${SORT_SCRIPT}</script>
</body>
</html>
`;
}

/** Reads a fold folder and builds its report (the pictures included). */
export async function buildReport(folder: string, o: ReadFoldOptions = {}): Promise<{ inputs: FoldInputs; html: string }> {
  const inputs = await readFoldInputs(folder, o);
  const ranked = inputs.summary ? pickCases(inputs.summary) : [];
  const overlays: OverlayResult[] = [];
  for (const r of ranked) {
    try { overlays.push({ ranked: r, overlay: await caseOverlay(r, inputs.summaryFile, inputs.dataset) }); } catch (err) {
      overlays.push({ ranked: r, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return { inputs, html: reportHtml(inputs, ranked, overlays) };
}

export interface WriteReportOptions extends ReadFoldOptions {
  /** Where to write (default <fold>/report.html). */
  output?: string;
}

/** Builds the report and writes it atomically; returns its path and the inputs it was made from. */
export async function writeReport(folder: string, o: WriteReportOptions = {}): Promise<{ path: string; inputs: FoldInputs }> {
  const { inputs, html } = await buildReport(folder, o);
  const path = o.output ?? join(inputs.folder, REPORT_FILE);
  await writeFileAtomic(path, [html]);
  return { path, inputs };
}
