/** Section "Evaluation": Dice, NSD and HD95 per class (means) and per case, from summary.json. */
import type { EvaluationSummary } from '../eval/summary.js';
import { caseForegroundDice, type RankedCase } from './case_overlays.js';
import type { FoldInputs } from './fold_inputs.js';
import { code, esc, fmtInt, fmtNumber, notice, table, type Cell } from './html.js';
import { howToEvaluate } from './how_to_evaluate.js';

/** Foreground class keys in summary order, with display names. */
export function foregroundClasses(s: EvaluationSummary): { key: string; name: string }[] {
  return Object.keys(s.mean).filter((k) => k !== '0').map((key) => ({ key, name: s.labels?.[key]?.name ?? `label ${key}` }));
}

/** A metric as a table cell that sorts by its value (NaN last, infinity as large). */
const metricCell = (v: number | undefined, digits: number): Cell => {
  const x = v ?? NaN;
  return { html: fmtNumber(x, digits), sort: Number.isNaN(x) ? '' : x === Infinity ? 1e300 : x };
};

function coverage(f: FoldInputs, s: EvaluationSummary): string {
  const evaluated = new Set(s.metric_per_case.map((c) => c.case));
  const lines = [`${fmtInt(s.metric_per_case.length)} case(s) evaluated from ${code(f.summaryFile)}.`];
  const val = f.config?.valCases;
  if (val) {
    const covered = val.filter((id) => evaluated.has(id)).length;
    const others = s.metric_per_case.length - covered;
    lines.push(`They cover ${covered} of this fold's ${val.length} validation cases${others ? `; ${others} evaluated case(s) are not validation cases of this fold (the model may have trained on them)` : ''}.`);
  }
  const missing = val ? s.missing_predictions.filter((m) => val.includes(m.case)) : s.missing_predictions;
  if (missing.length) lines.push(`${missing.length} ${val ? 'validation ' : ''}case(s) have no prediction: ${missing.slice(0, 12).map((m) => esc(m.case)).join(', ')}${missing.length > 12 ? ', \u2026' : ''}.`);
  if (s.errors?.length) lines.push(`${s.errors.length} case(s) failed: ${s.errors.map((e) => `${esc(e.case)} (${esc(e.error)})`).join('; ')}.`);
  return `<p>${lines.join(' ')}</p>`;
}

function meansTable(s: EvaluationSummary): string {
  const classes = foregroundClasses(s);
  const present = (key: string) => s.metric_per_case.filter((c) => c.metrics[key] && !Number.isNaN(c.metrics[key]!.Dice)).length;
  const rows: Cell[][] = classes.map(({ key, name }) => [key, name, { html: String(present(key)) },
    metricCell(s.mean[key]!.Dice, 4), metricCell(s.mean[key]!.NSD, 4), metricCell(s.mean[key]!.HD95, 2)]);
  const m = s.foreground_mean;
  rows.push([{ html: '<strong>mean</strong>' }, 'all foreground classes', { html: String(s.metric_per_case.length) },
    { html: `<strong>${fmtNumber(m.Dice, 4)}</strong>` }, { html: `<strong>${fmtNumber(m.NSD, 4)}</strong>` }, { html: `<strong>${fmtNumber(m.HD95, 2)}</strong>` }]);
  return table(['label', 'class', 'cases', 'Dice', `NSD @ ${s.nsd_tolerance_mm} mm`, `HD${s.hd_percentile ?? 95} (mm)`], rows, { textColumns: 2, id: 'class-means' });
}

function perCaseTable(s: EvaluationSummary, ranked: readonly RankedCase[]): string {
  const classes = foregroundClasses(s);
  const roleOf = new Map(ranked.map((r) => [r.entry.case, r.roles]));
  const rows: Cell[][] = s.metric_per_case.map((c) => {
    const roles = roleOf.get(c.case) ?? [];
    const badge = roles.map((r) => `<a class="badge ${r}" href="#case-${esc(c.case)}">${r}</a>`).join(' ');
    return [
      { html: esc(c.case), sort: c.case }, { html: badge, sort: roles.join(',') },
      metricCell(caseForegroundDice(c), 4),
      ...classes.flatMap(({ key }) => [metricCell(c.metrics[key]?.Dice, 4), metricCell(c.metrics[key]?.NSD, 4), metricCell(c.metrics[key]?.HD95, 2)]),
    ];
  });
  const header = ['case', 'shown below', 'mean Dice', ...classes.flatMap(({ name }) => [`${esc(name)} Dice`, `${esc(name)} NSD`, `${esc(name)} HD${s.hd_percentile ?? 95}`])];
  return table(header, rows, { textColumns: 2, sortable: true, id: 'per-case' });
}

export function evaluationSection(f: FoldInputs, ranked: readonly RankedCase[]): string {
  const out = ['<section id="evaluation"><h2>Evaluation</h2>'];
  const s = f.summary;
  if (!s) {
    out.push(howToEvaluate(f), '</section>');
    return out.join('\n');
  }
  out.push(`<p>Each predicted segmentation is compared with the reference segmentation drawn by experts, per class:
<strong>Dice</strong> is the overlap (0: none, 1: identical); <strong>NSD</strong> (normalised surface Dice) is the share of
both surfaces that lies within ${s.nsd_tolerance_mm} mm of the other (1 is best); <strong>HD${s.hd_percentile ?? 95}</strong> is the
${s.hd_percentile ?? 95}th percentile of the distances between the surfaces in millimetres (0 is best; \u221e when one of them is empty).
A dash means the class is absent from both.</p>`);
  out.push(coverage(f, s));
  if (!s.metric_per_case.length) out.push(notice('The summary holds no evaluated case.'));
  else {
    out.push('<h3>Per class (mean over cases)</h3>', meansTable(s));
    out.push('<h3>Per case</h3>', '<p class="hint">Click a column header to sort.</p>', perCaseTable(s, ranked));
  }
  out.push('</section>');
  return out.join('\n');
}
