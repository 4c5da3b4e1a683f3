/** `pspseg info` at work (loaded when the command runs). */
import { engineConfig } from '../../tensor/index.js';
import { cpuInfo, describeCpu } from '../../util/cpu_info.js';

export async function runInfo(o: { json: boolean; verbose: boolean }): Promise<number> {
  const c = engineConfig();
  const cpu = cpuInfo();
  if (o.json) {
    console.log(JSON.stringify({ ...c, cpu }, null, 2));
    return 0;
  }
  console.log([
    `cpu        ${describeCpu(cpu)}`,
    `libtorch   ${c.torchVersion}`,
    `threads    ${c.threads} intra-op, ${c.interopThreads} inter-op${process.env.PSPSEG_THREADS ? ' (PSPSEG_THREADS)' : ''}`,
    `devices    cpu${c.cuda ? `, cuda x${c.cudaDevices}` : ' (no CUDA in this libtorch)'}`,
    `oneDNN     ${c.mkldnn ? 'on' : 'off'}   OpenMP ${c.openmp ? 'on' : 'off'}   MKL ${c.mkl ? 'on' : 'off'}`,
    `omp wait   OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY ?? '(unset)'} GOMP_SPINCOUNT=${process.env.GOMP_SPINCOUNT ?? '(unset)'}`,
    `allocator  glibc malloc ${c.mallocTuned ? 'tuned (no mmap, no trim)' : 'default'}`,
  ].join('\n'));
  if (o.verbose) console.log(`\n${c.parallelInfo}`);
  return 0;
}
