#!/usr/bin/env bash
# Renders a report.html (pspseg report) in headless Chromium and fails on what a reader would hit:
#   - a reference to http:// or https:// in the file (the report must make no network request);
#   - a console error, an uncaught script error or a failed load while the page loads (network
#     requests are blocked, so one would show up as a failed load), a picture the browser cannot
#     decode, or a missing section: recorded by probe scripts in a temporary copy of the page and
#     read back from the DOM after load (--dump-dom); Chromium's own log is searched too.
# Writes a screenshot (default: beside the report, .png) for a person to look at.
# Not a CI requirement: it needs Chromium (Debian: apt-get install -y chromium).
#
# usage: scripts/check_report.sh REPORT.html [SCREENSHOT.png] [WIDTH,HEIGHT]
set -euo pipefail

report=${1:?usage: scripts/check_report.sh REPORT.html [SCREENSHOT.png] [WIDTH,HEIGHT]}
shot=${2:-${report%.html}.png}
size=${3:-1400,4000}
[ -f "$report" ] || { echo "check_report: $report: no such file" >&2; exit 2; }
chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$chrome" ] || { echo "check_report: Chromium not found (Debian: apt-get install -y chromium)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

# 1. No URL of a network resource anywhere in the file.
if grep -n -o -E 'https?://[^"'"'"' <>)]*' "$report" > "$work/urls"; then
  echo "check_report: $report names network URLs:" >&2
  head -5 "$work/urls" >&2
  fail=1
fi

run_chrome() { # extra flags..., then the page
  "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
    --user-data-dir="$(mktemp -d -p "$work")" --host-resolver-rules='MAP * ~NOTFOUND' \
    --hide-scrollbars --enable-logging=stderr --v=0 "$@"
}

# 2. Screenshot, with the browser's log: console messages at error level and uncaught errors fail.
page="file://$(realpath "$report")"
run_chrome --window-size="$size" --screenshot="$(realpath -m "$shot")" "$page" > "$work/shot.out" 2> "$work/shot.log" || {
  echo "check_report: Chromium failed:" >&2; tail -20 "$work/shot.log" >&2; exit 1; }
[ -s "$shot" ] || { echo "check_report: no screenshot written" >&2; exit 1; }
# Chromium logs page console output as 'CONSOLE(line)] "message", source: ...' (level in the prefix).
if grep -E 'CONSOLE|Uncaught|net::ERR_' "$work/shot.log" | grep -v -E ':INFO:CONSOLE' > "$work/errors"; then
  echo "check_report: errors while rendering:" >&2; cat "$work/errors" >&2; fail=1
fi

# 3. A copy with probes: one first in <head> records script errors, failed loads and console.error
#    (new headless Chromium does not log the page's console); one after load records pictures that
#    did not decode and the sections present, after sorting every sortable table by each column
#    (the per-case table must then be in ascending order of mean Dice).
early='<script>window.__errors=[];window.addEventListener("error",function(e){var t=e.target;__errors.push(e.message||("failed to load "+((t&&(t.src||t.href))||"?").slice(0,60)));},true);(function(){var ce=console.error;console.error=function(){__errors.push("console.error: "+[].join.call(arguments," "));ce.apply(console,arguments);};})();</script>'
late='<script>window.addEventListener("load",function(){document.querySelectorAll("table.sortable thead th").forEach(function(h){h.click();h.click();});var pc=document.getElementById("per-case");if(pc){pc.tHead.rows[0].cells[2].click();var v=[].map.call(pc.tBodies[0].rows,function(r){return Number(r.cells[2].getAttribute("data-sort"));}).filter(isFinite);for(var k=1;k<v.length;k++)if(v[k]<v[k-1]){__errors.push("per-case table not sorted by mean Dice");break;}}var bad=[];document.querySelectorAll("img").forEach(function(i){if(!i.complete||!i.naturalWidth)bad.push(i.alt||i.src.slice(0,40));});var s=[];document.querySelectorAll("section[id]").forEach(function(x){s.push(x.id);});document.body.setAttribute("data-probe","images="+document.images.length+";bad="+bad.length+";errors="+__errors.length+";sections="+s.join(","));document.body.setAttribute("data-errors",__errors.concat(bad.map(function(b){return "picture not decoded: "+b;})).join(" | "));});</script>'
copy="$work/probe.html"
# the report's own <head> is the first; the probes go right after it and right before </body>
# (index/substr, not sub: the scripts hold '&', which sub would replace by the match)
awk -v early="$early" -v late="$late" '
  !e && (i = index($0, "<head>")) { $0 = substr($0, 1, i + 5) early substr($0, i + 6); e = 1 }
  (i = index($0, "</body>")) { $0 = substr($0, 1, i - 1) late substr($0, i) }
  { print }' "$report" > "$copy"
run_chrome --virtual-time-budget=10000 --dump-dom "file://$copy" > "$work/dom.html" 2> "$work/dom.log" || {
  echo "check_report: Chromium --dump-dom failed:" >&2; tail -20 "$work/dom.log" >&2; exit 1; }
result=$(grep -o 'data-probe="[^"]*"' "$work/dom.html" || true)
[ -n "$result" ] || { echo "check_report: the page did not finish loading (no probe result)" >&2; exit 1; }
echo "check_report: $result"
case "$result" in *";bad=0;errors=0;"*) ;; *)
  echo "check_report: errors in the page: $(grep -o 'data-errors="[^"]*"' "$work/dom.html")" >&2; fail=1 ;; esac
for s in dataset training pruning cost evaluation examples files; do
  case "$result" in *"$s"*) ;; *) echo "check_report: section '$s' missing" >&2; fail=1 ;; esac
done

[ "$fail" = 0 ] && echo "check_report: $report renders without errors; screenshot $shot"
exit "$fail"
