/**
 * The Labels panel's rows: a visibility box, the label's colour and name, its volume. Toggling a box
 * calls back with the new styles; the volumes come from the label map, never from what is shown.
 */
import { cssColour, labelColour } from '../report/overlay.js';
import { esc } from '../report/html.js';
import { type LabelAmount, formatMillilitres } from './label_volumes.js';
import type { LabelStyle } from './label_colour_table.js';

export function labelStyles(labels: readonly { name: string; value: number }[]): LabelStyle[] {
  return labels.filter((l) => l.value !== 0).map((l) => ({ value: l.value, name: l.name, rgb: labelColour(l.value), visible: true }));
}

export function renderLabelRows(body: HTMLTableSectionElement, amounts: readonly LabelAmount[], styles: LabelStyle[], onChange: (styles: LabelStyle[]) => void): void {
  body.innerHTML = amounts.map((a) => {
    const s = styles.find((x) => x.value === a.value)!;
    return `<tr data-label="${a.value}"><td><input type="checkbox" aria-label="show ${esc(a.name)}" ${s.visible ? 'checked' : ''}></td>`
      + `<td><span class="swatch" style="background:${cssColour(s.rgb)}"></span>${esc(a.name)}</td>`
      + `<td class="num" title="${a.voxels.toLocaleString('en-US')} voxels">${formatMillilitres(a.millilitres)}</td></tr>`;
  }).join('');
  for (const box of body.querySelectorAll<HTMLInputElement>('input[type=checkbox]')) {
    box.addEventListener('change', () => {
      const value = Number(box.closest('tr')!.dataset.label);
      const next = styles.map((s) => (s.value === value ? { ...s, visible: box.checked } : s));
      styles.splice(0, styles.length, ...next);
      onChange(next);
    });
  }
}
