// Prints the compiler/linker settings for the libtorch we build against: $LIBTORCH when set
// (a libtorch zip or a PyTorch install's torch folder, CPU or CUDA), else Debian's libtorch-dev.
//   include  the header folders (a CUDA libtorch: CUDA's runtime headers too, which c10/cuda needs)
//   defines  PSPSEG_WITH_CUDA for a CUDA libtorch (the addon's CUDA-only bindings); PSPSEG_WITH_GLOO where
//            the libtorch has c10d's Gloo process group and gloo's headers are there (Debian: libgloo-dev)
//   cflags   the C++ ABI the libtorch was built with (TorchConfig.cmake's TORCH_CXX_FLAGS)
//   libs     the libraries, with an rpath to them
// scripts/check_cuda.sh builds with the same settings without node-gyp.
const fs = require('fs');
const path = require('path');
const what = process.argv[2];
const root = process.env.LIBTORCH;
const systemLib = '/usr/lib/x86_64-linux-gnu';
let includes, libdir, cmakeDirs;
if (root) {
  includes = [path.join(root, 'include'), path.join(root, 'include/torch/csrc/api/include')];
  libdir = path.join(root, 'lib');
  cmakeDirs = [path.join(root, 'share/cmake/Torch')];
  if (!fs.existsSync(path.join(root, 'include/ATen/ATen.h'))) {
    console.error(`LIBTORCH=${root} does not look like libtorch (no include/ATen/ATen.h)`);
    process.exit(1);
  }
} else {
  includes = ['/usr/include/torch/csrc/api/include'];
  libdir = fs.existsSync(path.join(systemLib, 'libtorch.so')) ? systemLib : '/usr/lib';
  cmakeDirs = [path.join(libdir, 'cmake/Torch'), '/usr/share/cmake/Torch'];
}
const has = (name) => fs.existsSync(path.join(libdir, `lib${name}.so`));
const cuda = has('torch_cuda');
// c10d's Gloo backend: its header in the libtorch, gloo's headers beside it or in the system's include folder.
const torchInclude = root ? path.join(root, 'include') : '/usr/include';
const glooHeader = [torchInclude, '/usr/include'].find((d) => fs.existsSync(path.join(d, 'gloo/config.h')));
const gloo = fs.existsSync(path.join(torchInclude, 'torch/csrc/distributed/c10d/ProcessGroupGloo.hpp')) && glooHeader !== undefined;
// Debian's libtorch links gloo as a shared library; a libtorch zip or wheel carries it inside libtorch_cpu.
const glooLib = ['/usr/lib/x86_64-linux-gnu', '/usr/lib', libdir].find((d) => fs.existsSync(path.join(d, 'libgloo.so')));

/** CUDA's runtime headers: CUDA_HOME's, a pip install's (site-packages/nvidia/cuda_runtime), or /usr/local/cuda's. */
function cudaIncludes() {
  const candidates = [
    process.env.CUDA_HOME && path.join(process.env.CUDA_HOME, 'include'),
    root && path.join(root, '..', 'nvidia', 'cuda_runtime', 'include'),
    '/usr/local/cuda/include',
  ].filter(Boolean);
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'cuda_runtime_api.h')));
  if (!found) console.error(`a CUDA libtorch, but no cuda_runtime_api.h in ${candidates.join(', ')}: set CUDA_HOME`);
  return found ? [found] : [];
}

/** -D_GLIBCXX_USE_CXX11_ABI=0|1 as TorchConfig.cmake says the libtorch was built (pip wheels and zips differ). */
function abiFlags() {
  for (const dir of cmakeDirs) {
    const file = path.join(dir, 'TorchConfig.cmake');
    if (!fs.existsSync(file)) continue;
    const m = /set\(TORCH_CXX_FLAGS "(-D_GLIBCXX_USE_CXX11_ABI=[01])"\)/.exec(fs.readFileSync(file, 'utf8'));
    if (m) return [m[1]];
  }
  return [];
}

if (what === 'include') console.log([...includes, ...(cuda ? cudaIncludes() : [])].join(' '));
else if (what === 'defines') console.log([...(cuda ? ['PSPSEG_WITH_CUDA'] : []), ...(gloo ? ['PSPSEG_WITH_GLOO', 'USE_C10D_GLOO'] : [])].join(' '));
else if (what === 'cflags') console.log(abiFlags().join(' '));
else if (what === 'libs') {
  const libs = [`-L${libdir}`, `-Wl,-rpath,${libdir}`, '-Wl,--no-as-needed', '-ltorch', '-ltorch_cpu', '-lc10'];
  // CUDA builds register their kernels from these libraries at load time, so link them eagerly.
  for (const lib of ['torch_cuda', 'c10_cuda']) if (has(lib)) libs.push(`-l${lib}`);
  if (gloo && glooLib && !root) libs.push(`-L${glooLib}`, '-lgloo');
  libs.push('-Wl,--as-needed');
  console.log(libs.join(' '));
} else {
  console.error('usage: node torch_paths.cjs include|defines|cflags|libs');
  process.exit(2);
}
