/** Small helpers for writing the report's HTML as strings: escaping, numbers, tables. */

export const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A number for a table: NaN as a dash, infinity as the sign, else `digits` decimals. */
export function fmtNumber(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '\u2013';
  if (v === Infinity) return '\u221e';
  if (v === -Infinity) return '-\u221e';
  return v.toFixed(digits);
}

/** 1234567 -> '1,234,567'. */
export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Seconds as '12.3 s', '4 min 5 s' or '2 h 3 min'. */
export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '\u2013';
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(2) : seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds - 60 * m)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Megabytes as '812 MB' or '3.2 GB'. */
export function fmtMegabytes(mb: number | null | undefined): string {
  if (mb === null || mb === undefined || !Number.isFinite(mb)) return '\u2013';
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${Math.round(mb)} MB`;
}

/** A table cell: text (escaped) or raw HTML, with an optional sort key and class. */
export type Cell = string | number | { html: string; sort?: number | string; cls?: string };

export interface TableOptions {
  /** Rows can be sorted by clicking a header (the report's inline script). */
  sortable?: boolean;
  /** Number of leading columns that hold text (left-aligned); the rest are numbers. */
  textColumns?: number;
  id?: string;
  caption?: string;
}

function cellHtml(c: Cell, tag: 'td' | 'th', numeric: boolean): string {
  if (typeof c === 'object') {
    const sort = c.sort === undefined ? '' : ` data-sort="${esc(String(c.sort))}"`;
    const cls = [numeric ? 'num' : '', c.cls ?? ''].filter(Boolean).join(' ');
    return `<${tag}${cls ? ` class="${cls}"` : ''}${sort}>${c.html}</${tag}>`;
  }
  const text = typeof c === 'number' ? String(c) : esc(c);
  const sort = typeof c === 'number' ? ` data-sort="${c}"` : '';
  return `<${tag}${numeric ? ' class="num"' : ''}${sort}>${text}</${tag}>`;
}

export function table(header: readonly string[], rows: readonly (readonly Cell[])[], o: TableOptions = {}): string {
  const textColumns = o.textColumns ?? 1;
  const attrs = [o.id ? ` id="${esc(o.id)}"` : '', o.sortable ? ' class="sortable"' : ''].join('');
  return [
    `<table${attrs}>`,
    o.caption ? `<caption>${o.caption}</caption>` : '',
    `<thead><tr>${header.map((h, i) => `<th${i >= textColumns ? ' class="num"' : ''}>${h}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map((r) => `<tr>${r.map((c, i) => cellHtml(c, 'td', i >= textColumns)).join('')}</tr>`),
    '</tbody></table>',
  ].join('\n');
}

/** A definition list of facts: [term, value html]. */
export function facts(items: readonly (readonly [string, string])[]): string {
  return `<dl class="facts">${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

/** A box that says something is missing and how to produce it. */
export function notice(html: string): string {
  return `<div class="notice">${html}</div>`;
}

export const code = (s: string): string => `<code>${esc(s)}</code>`;
export const pre = (s: string): string => `<pre>${esc(s)}</pre>`;
