/** The report page's inline stylesheet and its one small script (sorting tables by a clicked column). */

export const PAGE_CSS = `
:root { --ink: #1d232b; --muted: #5b6570; --line: #d9dee3; --soft: #f4f6f8; --accent: #1f5f99; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 8px 28px 60px; }
header.top { background: var(--soft); border-bottom: 1px solid var(--line); }
header.top > div { max-width: 1240px; margin: 0 auto; padding: 20px 28px 14px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 16.5px; margin: 22px 0 8px; }
p { max-width: 900px; }
a { color: var(--accent); }
nav { margin-top: 10px; font-size: 14px; }
nav a { margin-right: 14px; text-decoration: none; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; font-size: 13px; }
code { background: var(--soft); padding: 0 3px; border-radius: 3px; overflow-wrap: anywhere; }
pre { background: var(--soft); padding: 10px 12px; border-radius: 4px; overflow-x: auto; max-height: 360px; }
.lead { color: var(--muted); max-width: 960px; margin: 6px 0 0; }
.glance { display: flex; flex-wrap: wrap; gap: 12px; margin: 18px 0 4px; }
.glance div { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 170px; }
.glance b { display: block; font-size: 20px; }
.glance span { color: var(--muted); font-size: 13px; }
.card { background: #fff; border: 1px solid var(--line); border-left: 5px solid #3f9b5c; border-radius: 6px; padding: 8px 14px; margin: 12px 0 4px; max-width: 1000px; }
.card.nothing-removed { border-left-color: #f0a32f; }
.card.off { border-left-color: #9aa3ab; }
.card .headline { font-weight: 600; margin: 2px 0 4px; max-width: none; }
.card dl.facts { margin: 4px 0 2px; font-size: 14px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 18px; margin: 6px 0 10px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 14px; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: var(--soft); border-bottom: 2px solid var(--line); white-space: nowrap; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
table.sortable thead th { cursor: pointer; user-select: none; }
table.sortable thead th[data-dir="asc"]::after { content: " \\25b2"; font-size: 10px; }
table.sortable thead th[data-dir="desc"]::after { content: " \\25bc"; font-size: 10px; }
tbody tr:hover { background: #f9fafb; }
.missing { color: var(--muted); font-style: italic; }
.notice { background: #fff8e6; border: 1px solid #f0d58c; border-radius: 6px; padding: 10px 14px; margin: 10px 0; max-width: 1000px; }
.notice p { margin: 4px 0; }
.notice pre { background: #fff; max-height: 220px; margin: 4px 0 8px; }
ol.steps { margin: 4px 0; padding-left: 22px; }
.hint { color: var(--muted); font-size: 13px; }
figure { margin: 8px 0 16px; }
svg.chart { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 8px 16px; }
.charts figure { margin: 0; }
.chip { display: inline-block; padding: 0 6px; margin: 1px 0; border-radius: 3px; font-size: 12px; color: #111; border: 1px solid rgba(0,0,0,.15); }
.chip.deleted { text-decoration: line-through; color: #777; }
.badge { display: inline-block; padding: 0 6px; border-radius: 9px; font-size: 12px; color: #fff; text-decoration: none; }
.badge.best { background: #2e7d32; } .badge.median { background: #6d6d6d; } .badge.worst { background: #c0392b; }
.case { margin: 18px 0 26px; }
.legend { margin: 4px 0; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin: 0 4px -1px 10px; border: 1px solid rgba(0,0,0,.3); }
.swatch:first-child { margin-left: 0; }
.swatch.line { height: 3px; width: 16px; margin-bottom: 4px; border: none; }
.charts figcaption { font-size: 13px; margin-top: 2px; }
.planes { display: flex; flex-wrap: wrap; gap: 10px 26px; align-items: flex-start; }
.plane { margin: 0; }
.plane figcaption { font-size: 13px; color: var(--muted); margin-bottom: 20px; }
.pic { position: relative; max-width: 100%; }
.pic img { display: block; width: 100%; height: auto; }
.pic span { position: absolute; font-size: 11px; line-height: 1; color: #fff; background: rgba(0,0,0,.55); padding: 2px 3px; border-radius: 2px; pointer-events: none; }
.pic .panel-title { top: -18px; transform: translateX(-50%); color: var(--ink); background: none; font-size: 12.5px; }
.pic .dir.top { top: 2px; transform: translateX(-50%); }
.pic .dir.bottom { bottom: 2px; transform: translateX(-50%); }
.pic .dir.left { top: 50%; transform: translate(2px, -50%); }
.pic .dir.right { top: 50%; transform: translate(calc(-100% - 2px), -50%); }
footer { color: var(--muted); font-size: 13px; margin-top: 40px; border-top: 1px solid var(--line); padding-top: 10px; }
@media print { nav { display: none; } .case { break-inside: avoid; } }
`;

/** Sort a table's rows by the clicked header's column: data-sort values (numbers when they parse), else the text. */
export const SORT_SCRIPT = `
document.querySelectorAll('table.sortable').forEach(function (table) {
  var heads = table.querySelectorAll('thead th');
  heads.forEach(function (th, col) {
    th.tabIndex = 0;
    th.title = 'sort by this column';
    function key(row) {
      var cell = row.cells[col];
      var raw = cell.hasAttribute('data-sort') ? cell.getAttribute('data-sort') : cell.textContent.trim();
      if (raw === '') return null;
      var n = Number(raw);
      return cell.hasAttribute('data-sort') && isFinite(n) ? n : raw.toLowerCase();
    }
    function sort() {
      var dir = th.getAttribute('data-dir') === 'asc' ? 'desc' : 'asc';
      heads.forEach(function (h) { h.removeAttribute('data-dir'); });
      th.setAttribute('data-dir', dir);
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
        var c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
        return dir === 'asc' ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    }
    th.addEventListener('click', sort);
    th.addEventListener('keydown', function (e) { if (e.key === 'Enter') sort(); });
  });
});
`;
