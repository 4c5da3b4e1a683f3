/** `pspseg info`: what the engine runs on. */
import { engineConfig } from '../../tensor/index.js';

export const summary = 'show the engine configuration (libtorch version, threads, devices, oneDNN)';

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log('usage: pspseg info [--json] [--verbose]\n\nPrints the libtorch build pspseg runs on. PSPSEG_THREADS sets the thread count.');
    return 0;
  }
  const c = engineConfig();
  if (args.includes('--json')) {
    console.log(JSON.stringify(c, null, 2));
    return 0;
  }
  console.log([
    `libtorch   ${c.torchVersion}`,
    `threads    ${c.threads} intra-op, ${c.interopThreads} inter-op${process.env.PSPSEG_THREADS ? ' (PSPSEG_THREADS)' : ''}`,
    `devices    cpu${c.cuda ? `, cuda x${c.cudaDevices}` : ' (no CUDA in this libtorch)'}`,
    `oneDNN     ${c.mkldnn ? 'on' : 'off'}   OpenMP ${c.openmp ? 'on' : 'off'}   MKL ${c.mkl ? 'on' : 'off'}`,
    `allocator  glibc malloc ${c.mallocTuned ? 'tuned (no mmap, no trim)' : 'default'}`,
  ].join('\n'));
  if (args.includes('--verbose')) console.log(`\n${c.parallelInfo}`);
  return 0;
}
