#!/usr/bin/env bash
# One prepared run on a GPU machine that has PyTorch 2.x with CUDA (its torch folder is a libtorch) but
# no Node and no network: Node, the built TypeScript and the runtime packages travel with the working
# tree in .device/ (made here by --prepare). There it builds the addon against that libtorch with g++
# (the settings of native/torch_paths.cjs, no node-gyp), runs the test files that exercise CUDA
# (tensors, a PSP-Seg S training step with TR and RL, pruning's masked forward, sliding-window
# prediction, safetensors) and a short bench:model on the GPU: PSP-Seg S and PlainUNet at 128^3, batch
# 2, step time and peak GPU memory against the same networks in that machine's PyTorch. Everything it
# finds goes to $OUT (the device tool brings that folder back), ending with summary.json.
#
# usage:
#   scripts/check_cuda.sh --prepare   here: write .device/ (Node xz-compressed, its N-API headers, dist/,
#                                     zod and node-addon-api); then carry .device to the GPU machine
#   scripts/check_cuda.sh             there, from the repository root (LIBTORCH: default, python3's torch)
#   scripts/check_cuda.sh --dry-run   here: everything but CUDA (Debian's libtorch, the CUDA tests with
#                                     the CPU in the GPU's place, the bench's smoke size on the CPU)
# Environment: OUT (default a temporary folder), LIBTORCH, PSPSEG_PYTHON (the Python with torch: python3
# there, /usr/bin/python3 for the dry run).
set -euo pipefail
cd "$(dirname "$0")/.."
carried=.device
mode=${1:-run}
say() { printf '[check_cuda] %s\n' "$*" >&2; }

if [ "$mode" = --prepare ]; then
  bash scripts/setup.sh >&2
  rm -rf "$carried" && mkdir -p "$carried/node-include" "$carried/node_modules"
  say "Node $(node -v): xz-compressing the binary (about 24 MB)"
  xz -T0 -6 -c "$(readlink -f "$(command -v node)")" > "$carried/node.xz"
  # the N-API headers, all an addon needs of Node's (node-addon-api's napi.h includes them)
  cp /usr/include/node/node_api.h /usr/include/node/node_api_types.h /usr/include/node/js_native_api.h \
     /usr/include/node/js_native_api_types.h "$carried/node-include/"
  cp -r dist "$carried/dist"
  cp -r node_modules/zod node_modules/node-addon-api "$carried/node_modules/"
  say "wrote $carried ($(du -sh "$carried" | cut -f1)); carry it: run(..., carry: ['$carried'])"
  exit 0
fi
[ "$mode" = run ] || [ "$mode" = --dry-run ] || { say "usage: scripts/check_cuda.sh [--prepare | --dry-run]"; exit 2; }
dry=0; [ "$mode" = --dry-run ] && dry=1
[ -f "$carried/node.xz" ] || { say "no $carried/node.xz: run scripts/check_cuda.sh --prepare first (here, where Node is)"; exit 2; }

out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
exec > >(tee "$out/check_cuda.log") 2>&1
work=$(mktemp -d)
say "results in $out; scratch in $work"
status() { printf '%s' "$1" > "$out/status_$2.txt"; }

# 1. Node from the carried binary (xz, else Python's lzma: one of them is always there)
mkdir -p "$work/bin"
if command -v xz >/dev/null; then xz -dc "$carried/node.xz" > "$work/bin/node"
else python3 -c "import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" "$carried/node.xz" "$work/bin/node"; fi
chmod +x "$work/bin/node"
export PATH="$work/bin:$PATH"
say "node $(node -v) from $carried/node.xz"
[ -d dist ] || cp -r "$carried/dist" dist                       # the working tree's copy has no build
mkdir -p node_modules
for m in zod node-addon-api; do [ -d "node_modules/$m" ] || cp -r "$carried/node_modules/$m" node_modules/; done

# 2. the addon, against the machine's libtorch (dry run: Debian's)
# the Python with PyTorch: the GPU machine's python3; here, Debian's (python3-torch)
if [ "$dry" = 1 ]; then python=${PSPSEG_PYTHON:-/usr/bin/python3}; else python=${PSPSEG_PYTHON:-python3}; fi
if [ "$dry" = 0 ] && [ -z "${LIBTORCH:-}" ]; then
  LIBTORCH=$("$python" -c 'import os, torch; print(os.path.dirname(torch.__file__))')
  export LIBTORCH
fi
say "libtorch: ${LIBTORCH:-the system libtorch-dev (Debian)}"
flags=(-std=c++17 -O2 -fPIC -fexceptions -frtti -Wno-deprecated-declarations -DNAPI_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED)
for d in $(node native/torch_paths.cjs defines); do flags+=("-D$d"); done
flags+=($(node native/torch_paths.cjs cflags))
for i in $(node native/torch_paths.cjs include) node_modules/node-addon-api "$carried/node-include"; do flags+=("-I$i"); done
mkdir -p "$work/addon"
start=$(date +%s)
compile() { printf '%s\n' native/src/*.cpp | xargs -P "$(nproc)" -I{} sh -c 'g++ "$@" -c {} -o "'"$work"'/addon/$(basename {} .cpp).o"' _ "${flags[@]}" "$@"; }
# C++17 as the build here; a newer PyTorch may ask for C++20, which comes after on the command line and wins
if ! compile; then say "C++17 failed against this libtorch; trying C++20"; compile -std=c++20 || { status failed addon; say "the addon did not build"; exit 1; }; fi
if ! g++ -shared -o "$work/addon/pspseg_native.node" "$work"/addon/*.o $(node native/torch_paths.cjs libs); then
  status failed addon; say "the addon did not link"; exit 1
fi
export PSPSEG_ADDON="$work/addon/pspseg_native.node"
status ok addon
defines=$(printf '%s\n' "${flags[@]}" | grep '^-D' | paste -sd' ')
now=$(date +%s)
say "addon built in $((now - start)) s ($defines)"
node dist/src/cli/main.js info | tee "$out/info.txt"

# 3. the tests that exercise CUDA (dry run: the CPU in the GPU's place)
[ "$dry" = 1 ] && export PSPSEG_CHECK_DEVICE=cpu
tests=(dist/test/tensor_cuda.test.js dist/test/tensor_basics.test.js dist/test/tensor_gradcheck.test.js dist/test/native_binding.test.js)
if node --test --test-concurrency=1 "${tests[@]}" > "$out/tests.txt" 2>&1; then status ok tests; else status failed tests; fi
grep -E '^# (tests|pass|fail|skipped)' "$out/tests.txt" || true

# 4. a training step side by side with PyTorch: PSP-Seg S and PlainUNet at 128^3 on the GPU (dry run: smoke, CPU)
if [ "$dry" = 1 ]; then bench_env=(BENCH_SMOKE=1); else bench_env=(BENCH_DEVICE=cuda BENCH_PATCH=128 BENCH_ROUNDS=1 BENCH_WARMUP=2 BENCH_STEPS=3); fi
if env PSPSEG_PYTHON="$python" "${bench_env[@]}" node dist/bench/model.js > "$out/bench_model.txt" 2>&1; then
  tail -1 "$out/bench_model.txt" > "$out/bench_model.json"; status ok bench
else status failed bench; fi
tail -3 "$out/bench_model.txt"

# 5. the summary
node -e '
  const fs = require("fs"), out = process.argv[1];
  const read = (f) => { try { return fs.readFileSync(`${out}/${f}`, "utf8").trim(); } catch { return null; } };
  const tests = read("tests.txt") ?? "";
  const count = (k) => Number((new RegExp(`^# ${k} (\\d+)`, "m").exec(tests) ?? [])[1] ?? NaN);
  const bench = read("bench_model.json");
  const summary = {
    dry_run: process.argv[2] === "1", node: process.version, libtorch: process.env.LIBTORCH ?? "debian",
    addon: read("status_addon.txt"), tests: { status: read("status_tests.txt"), pass: count("pass"), fail: count("fail"), skipped: count("skipped") },
    bench: { status: read("status_bench.txt"), result: bench && bench.startsWith("{") ? JSON.parse(bench) : null },
    info: read("info.txt"),
  };
  fs.writeFileSync(`${out}/summary.json`, JSON.stringify(summary, null, 2) + "\n");
  console.log(JSON.stringify({ addon: summary.addon, tests: summary.tests, bench: summary.bench.status }));
  process.exitCode = summary.addon === "ok" && summary.tests.status === "ok" && summary.bench.status === "ok" ? 0 : 1;
' "$out" "$dry" || { rm -f "$out"/status_*.txt; say "something failed: see $out"; exit 1; }
rm -f "$out"/status_*.txt
say "all passed: $out/summary.json"