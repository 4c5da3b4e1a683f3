#!/usr/bin/env bash
# Compiles the addon's sources (syntax and types only, no object files) against PyTorch 2.x's headers, as
# CUDA users' libtorch will be: Debian 13's libtorch-dev 2.6, fetched as a package file into a cache
# (an apt download with a trixie source list in a scratch apt directory, then dpkg -x; nothing is
# installed: its libraries need a newer glibc than Debian 12's). The build itself compiles against
# 1.13 (Debian 12's libtorch-dev, or $LIBTORCH). Version differences live in native/src/common.h.
#
# usage: scripts/compile_check.sh [--if-changed]
#   --if-changed  do nothing when the sources passed this check before (a stamp in native/build/)
# Exit 0 when every source compiles, or when the package cannot be fetched (said on stderr: skipped);
# 1 when a source does not compile (the compiler's errors are printed).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[compile-check] %s\n' "$*" >&2; }
PKG=libtorch-dev
SUITE=trixie
cache=${PSPSEG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pspseg}/$PKG-$SUITE
stamp=native/build/compile_check_$SUITE.txt
sources=(native/src/*.cpp)
digest=$(cat native/src/*.cpp native/src/*.h | sha256sum | cut -c1-16)

if [ "${1:-}" = "--if-changed" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$digest" ]; then exit 0; fi

# 1. the headers, fetched once into the cache
if [ ! -f "$cache/usr/include/ATen/ATen.h" ]; then
  say "fetching Debian $SUITE's $PKG (headers only, into $cache)"
  apt=$(mktemp -d)
  trap 'rm -rf "$apt"' EXIT
  mkdir -p "$apt"/lists/partial "$apt"/cache/archives/partial "$apt"/dl
  echo "deb [trusted=yes] http://deb.debian.org/debian $SUITE main" > "$apt"/sources.list
  opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$apt/lists"
        -o "Dir::Cache=$apt/cache" -o Dir::State::Status=/dev/null -o Debug::NoLocking=1)
  [ "$(id -u)" -eq 0 ] && opts+=(-o APT::Sandbox::User=root) # root: no _apt user to drop to in a scratch directory
  if ! apt-get "${opts[@]}" -qq update >"$apt"/log 2>&1 || ! (cd "$apt"/dl && apt-get "${opts[@]}" -qq download "$PKG" >>"$apt"/log 2>&1); then
    say "skipped: Debian $SUITE's $PKG could not be fetched ($(tail -1 "$apt"/log))"
    exit 0
  fi
  mkdir -p "$cache.partial"
  dpkg -x "$apt"/dl/"$PKG"_*.deb "$cache.partial"
  rm -rf "$cache" && mv "$cache.partial" "$cache"
fi
h="$cache/usr/include/torch/csrc/api/include/torch/version.h"
version=$(for part in MAJOR MINOR PATCH; do sed -n "s/^#define TORCH_VERSION_$part \([0-9]*\)/\1/p" "$h" 2>/dev/null; done | paste -sd.)

# 2. every source, syntax and types only, two at a time
inc="$cache/usr/include"
napi=$(node -p "require('node-addon-api').include_dir")
say "compiling ${#sources[@]} sources against libtorch ${version:-?} headers ($inc)"
log=$(mktemp)
if ! printf '%s\n' "${sources[@]}" | xargs -P 2 -I{} sh -c \
    "g++ -std=c++17 -fsyntax-only -fexceptions -frtti -DNAPI_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED \
     -Wno-deprecated-declarations -I'$inc' -I'$inc/torch/csrc/api/include' -I'$napi' -I/usr/include/node {} || { echo 'FAILED: {}'; exit 1; }" >"$log" 2>&1; then
  cat "$log" >&2
  say "failed against libtorch ${version:-?}: see the errors above"
  exit 1
fi
# 3. the CUDA-only bindings (PSPSEG_WITH_CUDA: a CUDA libtorch) against both libtorch versions' c10/cuda
# headers, where CUDA's runtime headers are here
cuda_inc=${CUDA_HOME:-/usr/local/cuda}/include
if [ -f "$cuda_inc/cuda_runtime_api.h" ]; then
  # CPU builds of libtorch lack the one header a CUDA build generates (c10/cuda/impl/cuda_cmake_macros.h):
  # a stand-in with its shared-library setting, last on the include path
  stub=$(mktemp -d)
  mkdir -p "$stub/c10/cuda/impl" && echo '#define C10_CUDA_BUILD_SHARED_LIBS' > "$stub/c10/cuda/impl/cuda_cmake_macros.h"
  for torch_inc in "$inc" /usr/include; do
    if ! g++ -std=c++17 -fsyntax-only -fexceptions -frtti -DPSPSEG_WITH_CUDA -DNAPI_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED \
        -Wno-deprecated-declarations -I"$torch_inc" -I"$torch_inc/torch/csrc/api/include" -I"$cuda_inc" -I"$napi" -I/usr/include/node -idirafter "$stub" \
        native/src/runtime.cpp 2>"$log"; then
      cat "$log" >&2
      say "failed: the CUDA bindings (PSPSEG_WITH_CUDA) against $torch_inc"
      exit 1
    fi
  done
  say "ok: the CUDA bindings compile against libtorch ${version:-?} and the build's libtorch ($cuda_inc)"
else
  say "the CUDA bindings not checked: no CUDA runtime headers in $cuda_inc (set CUDA_HOME)"
fi
mkdir -p native/build && echo "$digest" > "$stamp"
say "ok: every source compiles against libtorch ${version:-?}"
