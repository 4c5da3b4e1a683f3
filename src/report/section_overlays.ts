/**
 * Section "Examples": the best, median and worst case as three orthogonal slices, reference and
 * prediction side by side, with the anatomical directions at the picture's edges.
 */
import type { CaseOverlay, PlanePicture, RankedCase } from './case_overlays.js';
import type { FoldInputs } from './fold_inputs.js';
import { esc, fmtNumber, notice } from './html.js';
import { PANEL_GAP, cssColour, labelColour } from './overlay.js';

/** A case's pictures, or why there are none. */
export type OverlayResult = { ranked: RankedCase; overlay: CaseOverlay } | { ranked: RankedCase; error: string };

const ROLE_TEXT = { best: 'Best case', median: 'Median case', worst: 'Worst case' } as const;
const pct = (v: number, of: number) => `${+((100 * v) / of).toFixed(3)}%`;

function labelName(f: FoldInputs, value: number): string {
  const l = f.dataset?.labels.find((x) => x.value === value) ?? f.plan?.labels.find((x) => x.value === value);
  return l?.name ?? `label ${value}`;
}

function picture(p: PlanePicture, caseId: string, shape: readonly number[]): string {
  const { view } = p;
  const marks: string[] = [];
  ['reference', 'prediction'].forEach((title, i) => {
    const x0 = i * (p.panelWidth + PANEL_GAP);
    const mid = x0 + p.panelWidth / 2;
    marks.push(`<span class="panel-title" style="left:${pct(mid, p.width)}">${title}</span>`);
    const e = view.edges;
    if (e.top) {
      marks.push(`<span class="dir top" style="left:${pct(mid, p.width)}">${e.top}</span>`, `<span class="dir bottom" style="left:${pct(mid, p.width)}">${e.bottom}</span>`);
      marks.push(`<span class="dir left" style="left:${pct(x0, p.width)}">${e.left}</span>`, `<span class="dir right" style="left:${pct(x0 + p.panelWidth, p.width)}">${e.right}</span>`);
    }
  });
  const alt = `${view.name} slice of ${caseId}: reference (left) and prediction (right)`;
  return `<figure class="plane">
<figcaption><strong>${esc(view.name)}</strong> \u00b7 slice ${p.slice + 1} of ${shape[view.fixedAxis]} along voxel axis ${'xyz'[view.fixedAxis]}</figcaption>
<div class="pic" style="width:${p.width}px"><img src="${p.dataUri}" width="${p.width}" height="${p.height}" alt="${esc(alt)}">${marks.join('')}</div>
</figure>`;
}

function caseBlock(f: FoldInputs, r: OverlayResult): string {
  const id = r.ranked.entry.case;
  const title = `${r.ranked.roles.map((x) => ROLE_TEXT[x]).join(' = ')}: ${esc(id)} \u00b7 mean Dice ${fmtNumber(r.ranked.meanDice, 3)}`;
  if ('error' in r) return `<article class="case" id="case-${esc(id)}"><h3>${title}</h3>${notice(`No pictures: ${esc(r.error)}`)}</article>`;
  const o = r.overlay;
  const legend = o.labelValues.map((v) => `<span class="swatch" style="background:${cssColour(labelColour(v))}"></span>${esc(labelName(f, v))}`).join(' ');
  const facts = `${o.shape.join(' \u00d7 ')} voxels of ${o.spacing.map((s) => +s.toFixed(3)).join(' \u00d7 ')} mm, orientation ${esc(o.orientation)}` +
    (o.imageFile ? '' : '; no image');
  return `<article class="case" id="case-${esc(id)}">
<h3>${title}</h3>
<p class="legend">${legend || 'no structure in either segmentation'} <span class="hint">(${facts})</span></p>
${o.notes.length ? `<p class="hint">${o.notes.map(esc).join('<br>')}</p>` : ''}
<div class="planes">${o.pictures.map((p) => picture(p, id, o.shape)).join('\n')}</div>
</article>`;
}

export function overlaysSection(f: FoldInputs, results: readonly OverlayResult[]): string {
  const out = ['<section id="examples"><h2>Examples: best, median and worst case</h2>'];
  if (!f.summary) out.push(notice('The examples need an evaluation (see <a href="#evaluation">Evaluation</a> for how to produce one).'));
  else if (!results.length) out.push(notice('The evaluation holds no case with a Dice score to choose examples from.'));
  else {
    out.push(`<p>The cases with the highest, the middle and the lowest mean Dice. Each picture cuts through the centre of the
reference structure in three orthogonal planes; the left half shows the reference segmentation, the right half the model's
prediction, over the image (grey, between its 0.5th and 99.5th intensity percentile). Letters at the edges give the
patient's directions (R/L right/left, A/P anterior/posterior, S/I superior/inferior); pixels are square in millimetres,
so the proportions are true.</p>`);
    out.push(...results.map((r) => caseBlock(f, r)));
  }
  out.push('</section>');
  return out.join('\n');
}
