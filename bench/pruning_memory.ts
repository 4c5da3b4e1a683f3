/**
 * Calibration memory of the block search, per variant and patch: keeping every PRM's input and
 * output for N batches (the authors' approach) against the streaming search (one PRM at a time,
 * inside the forward). Usage: node dist/bench/pruning_memory.js [batch] [N]
 */
import { estimateCalibrationMemory, type Triple } from '../src/pruning/index.js';

const batch = Number(process.argv[2] ?? 2);
const batches = Number(process.argv[3] ?? 100);
const variants = [
  { name: 'S', channels: [16, 32, 64, 128, 256], blocks: 4, ratio: 0.5, step: 1 },
  { name: 'B', channels: [16, 32, 64, 128, 256], blocks: 7, ratio: 2, step: 1 },
  { name: 'L', channels: [16, 32, 64, 128, 256, 320], blocks: 7, ratio: 2, step: 2 },
];
const patches: Triple[] = [[48, 64, 48], [128, 128, 128]];
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
console.log(`batch ${batch}, N = ${batches}, float32`);
for (const patch of patches) for (const v of variants) {
  const e = estimateCalibrationMemory({ ...v, patch, batch, batches });
  console.log(`${v.name} ${patch.join('x')}: keep all ${mib(e.keepAllBytes)}; streaming: held ${mib(e.streamingHeldBytes)}, ` +
    `with one masked PRM forward ${mib(e.streamingPeakBytes)} (largest PRM ${e.prms[0]!.name} [${batch}, ${e.prms[0]!.channels}, ${e.prms[0]!.spatial.join(', ')}])`);
}
