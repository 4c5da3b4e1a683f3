/** `pspseg info` at work (loaded when the command runs). */
import { engineConfig, resolvePrecision } from '../../tensor/index.js';
import { cpuInfo, describeCpu, hasNativeBf16 } from '../../util/cpu_info.js';

export async function runInfo(o: { json: boolean; verbose: boolean }): Promise<number> {
  const c = engineConfig();
  const cpu = cpuInfo();
  const precision = {
    cpuNativeBf16: hasNativeBf16(cpu), auto: {
      cpu: resolvePrecision('auto', 'cpu', cpu), cpuPredict: resolvePrecision('auto', 'cpu', cpu, 'predict'),
      ...(c.cuda ? { cuda: resolvePrecision('auto', 'cuda', cpu) } : {}),
    },
  };
  if (o.json) {
    console.log(JSON.stringify({ ...c, cpu, precision }, null, 2));
    return 0;
  }
  console.log([
    `cpu        ${describeCpu(cpu)}`,
    `libtorch   ${c.torchVersion}`,
    `threads    ${c.threads} intra-op, ${c.interopThreads} inter-op${process.env.PSPSEG_THREADS ? ' (PSPSEG_THREADS)' : ''}`,
    `devices    cpu${c.cuda ? `, cuda x${c.cudaDevices}` : ' (no CUDA in this libtorch)'}`,
    `oneDNN     ${c.mkldnn ? 'on' : 'off'}   OpenMP ${c.openmp ? 'on' : 'off'}   MKL ${c.mkl ? 'on' : 'off'}`,
    `omp wait   OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY ?? '(unset)'} GOMP_SPINCOUNT=${process.env.GOMP_SPINCOUNT ?? '(unset)'}`,
    `allocator  ${c.allocator.name === 'huge-pages' ? 'blocks of 1 MiB or more on transparent huge pages, ' : ''}glibc malloc ${c.mallocTuned ? 'tuned (no mmap, no trim)' : 'default'}` +
      `${c.allocator.name === 'huge-pages' ? ' for smaller ones' : ''}`,
    `precision  bfloat16 ${precision.cpuNativeBf16 ? 'native on this CPU (avx512_bf16 or AMX)' : 'emulated on this CPU (no avx512_bf16 or AMX)'}; ` +
      `--precision auto: ${precision.auto.cpu} for training on cpu (${precision.auto.cpuPredict} for predict)${c.cuda ? `, ${precision.auto.cuda} on cuda` : ''}`,
  ].join('\n'));
  if (o.verbose) console.log(`\n${c.parallelInfo}`);
  return 0;
}
