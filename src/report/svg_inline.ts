/**
 * An SVG file's text made fit to sit inside the HTML page: no XML prolog or doctype, no namespace
 * declarations (HTML puts <svg> in the SVG namespace by itself, and the report must name no URL),
 * scaled down with the page when it is wider than the column.
 */
export function inlineSvg(svg: string, label?: string): string {
  let s = svg.replace(/<\?xml[^>]*\?>/g, '').replace(/<!DOCTYPE[^>]*>/gi, '').replace(/<!--[\s\S]*?-->/g, '').trim();
  s = s.replace(/\s+xmlns(:\w+)?="[^"]*"/g, '');
  const aria = label ? ` role="img" aria-label="${label.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"` : '';
  // Only the outer element: give it a viewBox (from its size) so CSS can scale it.
  return s.replace(/^<svg\b([^>]*)>/, (_m, attrs: string) => {
    const w = /\bwidth="([\d.]+)"/.exec(attrs)?.[1];
    const h = /\bheight="([\d.]+)"/.exec(attrs)?.[1];
    const viewBox = !/\bviewBox=/.test(attrs) && w && h ? ` viewBox="0 0 ${w} ${h}"` : '';
    return `<svg${attrs}${viewBox} class="chart"${aria}>`;
  });
}
