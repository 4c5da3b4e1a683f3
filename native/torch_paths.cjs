// Prints the compiler/linker settings for the libtorch we build against: $LIBTORCH when set
// (a libtorch zip or a PyTorch install, CPU or CUDA), else Debian's libtorch-dev.
const fs = require('fs');
const path = require('path');
const what = process.argv[2];
const root = process.env.LIBTORCH;
const systemLib = '/usr/lib/x86_64-linux-gnu';
let includes, libdir;
if (root) {
  includes = [path.join(root, 'include'), path.join(root, 'include/torch/csrc/api/include')];
  libdir = path.join(root, 'lib');
  if (!fs.existsSync(path.join(root, 'include/ATen/ATen.h'))) {
    console.error(`LIBTORCH=${root} does not look like libtorch (no include/ATen/ATen.h)`);
    process.exit(1);
  }
} else {
  includes = ['/usr/include/torch/csrc/api/include'];
  libdir = fs.existsSync(path.join(systemLib, 'libtorch.so')) ? systemLib : '/usr/lib';
}
const has = (name) => fs.existsSync(path.join(libdir, `lib${name}.so`));
if (what === 'include') console.log(includes.join(' '));
else if (what === 'libs') {
  const libs = [`-L${libdir}`, `-Wl,-rpath,${libdir}`, '-Wl,--no-as-needed', '-ltorch', '-ltorch_cpu', '-lc10'];
  // CUDA builds register their kernels from these libraries at load time, so link them eagerly.
  for (const cuda of ['torch_cuda', 'c10_cuda']) if (has(cuda)) libs.push(`-l${cuda}`);
  libs.push('-Wl,--as-needed');
  console.log(libs.join(' '));
}
