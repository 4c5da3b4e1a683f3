/** `pspseg info`: what the engine runs on. */
import { defineCommand } from '../command.js';

const options = {
  json: { type: 'boolean', help: 'print the configuration as JSON' },
  verbose: { type: 'boolean', help: "also print libtorch's parallel settings" },
} as const;

export const info = defineCommand({
  name: 'info',
  summary: 'show the CPU and the engine configuration (libtorch version, threads, devices, oneDNN)',
  description: `Prints the CPU (model, cores, vector extensions such as avx2 and avx512f: timings depend on them) and the
libtorch build pspseg runs on. PSPSEG_THREADS sets the thread count.`,
  options,
  run: async (o) => (await import('./info_run.js')).runInfo(o),
});
