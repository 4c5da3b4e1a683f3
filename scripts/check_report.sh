#!/usr/bin/env bash
# Renders a report.html (pspseg report) in headless Chromium and fails on what a reader would hit:
#   - a reference to http:// or https:// in the file (the report must make no network request);
#   - a console error or an uncaught script error while the page loads (network requests are
#     blocked, so one would show up here as a failed load too);
#   - a picture the browser cannot decode, or a missing section (checked in the DOM after load by a
#     probe script added to a temporary copy of the page).
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

# 3. A copy with a probe that records, after load, which pictures failed to decode and which sections are there.
probe='<script>window.addEventListener("load",function(){var bad=[];document.querySelectorAll("img").forEach(function(i){if(!i.complete||!i.naturalWidth)bad.push(i.alt||i.src.slice(0,40));});var s=[];document.querySelectorAll("section[id]").forEach(function(x){s.push(x.id);});document.body.setAttribute("data-probe","images="+document.images.length+";bad="+bad.length+";sections="+s.join(","));});</script>'
copy="$work/probe.html"
sed "s#</body>#${probe//&/\\&}</body>#" "$report" > "$copy"
run_chrome --virtual-time-budget=10000 --dump-dom "file://$copy" > "$work/dom.html" 2> "$work/dom.log" || {
  echo "check_report: Chromium --dump-dom failed:" >&2; tail -20 "$work/dom.log" >&2; exit 1; }
result=$(grep -o 'data-probe="[^"]*"' "$work/dom.html" || true)
[ -n "$result" ] || { echo "check_report: the page did not finish loading (no probe result)" >&2; exit 1; }
echo "check_report: $result"
case "$result" in *";bad=0;"*) ;; *) echo "check_report: some pictures did not decode" >&2; fail=1 ;; esac
for s in dataset training pruning cost evaluation examples files; do
  case "$result" in *"$s"*) ;; *) echo "check_report: section '$s' missing" >&2; fail=1 ;; esac
done

[ "$fail" = 0 ] && echo "check_report: $report renders without errors; screenshot $shot"
exit "$fail"
