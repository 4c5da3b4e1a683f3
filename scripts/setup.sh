#!/usr/bin/env bash
# Idempotent setup: libtorch (apt, unless LIBTORCH points elsewhere), npm packages, the native addon,
# the TypeScript build and the browser app's bundle; with --torch-reference (npm test) also Debian's
# python3-torch and chromium. Each step is skipped when its output is already up to date, so running
# this before every command is cheap.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*" >&2; }

torch_reference=0
for arg in "$@"; do
  case "$arg" in
    --torch-reference) torch_reference=1 ;;
    *) say "unknown option $arg (the one option: --torch-reference)"; exit 2 ;;
  esac
done

# 1. libtorch
if [ -z "${LIBTORCH:-}" ]; then
  if ! dpkg-query -W -f='${Status}' libtorch-dev 2>/dev/null | grep -q 'install ok installed'; then
    say "installing libtorch-dev with apt (one time, a few minutes)"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libtorch-dev >/dev/null
  fi
  # gloo's headers: the addon's c10d process group (multi-process training) compiles against them; libtorch
  # already links gloo's library. Without them the addon builds without distributed training, and says so.
  if ! dpkg-query -W -f='${Status}' libgloo-dev 2>/dev/null | grep -q 'install ok installed'; then
    say "installing libgloo-dev with apt (c10d's Gloo backend for multi-process training; one time)"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libgloo-dev >/dev/null; } \
      || say "apt could not install libgloo-dev: the addon is built without multi-process training"
  fi
fi

# 1b. PyTorch for Python, with --torch-reference only (npm test passes it): the reference that the benchmarks'
# smoke runs compare with (bench/*.py, scripts/torch_pspseg.py). Never a runtime dependency of pspseg.
if [ "$torch_reference" = 1 ] && ! dpkg-query -W -f='${Status}' python3-torch 2>/dev/null | grep -q 'install ok installed'; then
  say "installing python3-torch with apt (the benchmarks' PyTorch reference, for npm test; one time)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-torch >/dev/null
fi
# 1c. ONNX for Python, with --torch-reference only: the tests check exported models with onnx.checker (a reference, never a runtime need).
if [ "$torch_reference" = 1 ] && ! dpkg-query -W -f='${Status}' python3-onnx 2>/dev/null | grep -q 'install ok installed'; then
  say "installing python3-onnx with apt (the tests' ONNX checker; one time)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-onnx >/dev/null; } \
    || say "python3-onnx could not be installed: the ONNX checker test will be skipped"
fi

# 1d. Chromium, with --torch-reference only (npm test passes it): test/web_app.test.ts drives the browser app in
# Debian's headless Chromium. Never needed to run pspseg. Where apt cannot install it, say so: that test then skips.
if [ "$torch_reference" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  if [ -n "$SUDO" ] && ! command -v sudo >/dev/null 2>&1; then
    say "not installing chromium (the browser app's test): not root and no sudo; test/web_app.test.ts will skip"
  elif ! command -v apt-get >/dev/null 2>&1; then
    say "not installing chromium (the browser app's test): no apt-get here; test/web_app.test.ts will skip"
  else
    say "installing chromium with apt (the browser app's test drives it; one time)"
    if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; }; then
      say "apt could not install chromium: test/web_app.test.ts will skip"
    fi
  fi
fi

# 2. npm packages (npm ci only when the lock file changed since the last install)
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  # onnxruntime-node would download its CUDA build at install, which fails offline: its CPU build ships in the package
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error >&2
fi

# 3. native addon (rebuilt when a source, the build files, the libtorch path or its version changed)
addon=native/build/Release/pspseg_native.node
stamp=native/build/libtorch.txt
if [ -n "${LIBTORCH:-}" ]; then
  LIBTORCH="$(realpath "$LIBTORCH")"; export LIBTORCH   # gyp runs in native/: no relative paths
  want="$LIBTORCH $(cat "$LIBTORCH/build-version" 2>/dev/null || true)"
else
  want="system $(dpkg-query -W -f='${Version}' libtorch-dev 2>/dev/null || true)"
fi
want="$want; defines: $(cd native && node torch_paths.cjs defines)"   # e.g. gloo's headers installed since: rebuild
if [ ! -f "$addon" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || \
   [ -n "$(find native/src native/binding.gyp native/torch_paths.cjs -newer "$addon" 2>/dev/null | head -1)" ]; then
  say "building the native addon against libtorch: $want"
  (cd native && ../node_modules/.bin/node-gyp rebuild --nodedir=/usr -j 2 >&2)
  echo "$want" > "$stamp"
fi

# 4. TypeScript (incremental)
# Outputs of renamed or deleted sources would live on (and npm test would run stale test files): drop them.
if [ -d dist ]; then
  find dist/src dist/test dist/bench -name '*.js' 2>/dev/null | while IFS= read -r js; do
    src="${js#dist/}"; [ -f "${src%.js}.ts" ] || rm -f "$js" "$js.map"
  done
fi
# A renamed source keeps its old mtime (git mv), so also compile when some source has no output.
unbuilt() { find src test bench -name '*.ts' ! -name '*.d.ts' 2>/dev/null | while IFS= read -r ts; do
  [ -f "dist/${ts%.ts}.js" ] || { echo "$ts"; break; }; done; }
# (tsc's build info does not notice a missing output: forget it then.)
[ -n "$(unbuilt)" ] && rm -f dist/.tsbuildinfo
if [ ! -f dist/.tsbuildinfo ] || [ -n "$(find src test bench tsconfig.json -newer dist/.tsbuildinfo -name '*.ts' -o -newer dist/.tsbuildinfo -name 'tsconfig.json' 2>/dev/null | head -1)" ]; then
  say "tsc"
  # tsc writes its build info even when it reports errors: drop it, so the next run compiles again.
  node_modules/.bin/tsc -p tsconfig.json || { rm -f dist/.tsbuildinfo; exit 1; }
fi

# 5. The browser app's page (esbuild into dist/web; `pspseg app` copies it), when a page source, anything it
# may import under src/, or the installed packages are newer than the bundle.
bundle=dist/web/app.js
if [ ! -f "$bundle" ] || [ -n "$(find src node_modules/.package-lock.json -newer "$bundle" \( -name '*.ts' -o -name '*.html' -o -name '*.css' -o -name '.package-lock.json' \) 2>/dev/null | head -1)" ]; then
  say "bundling the browser app (esbuild)"
  node dist/src/cli/app/bundle_page.js .
fi
