/** `pspseg export` at work: load the fold folder on the CPU, write the ONNX file, say what it holds. */
import { exportModelFolder, type ExportOptions } from '../../infer/onnx_export.js';

export async function runExport(dir: string, output: string, o: ExportOptions): Promise<number> {
  const { bytes, info } = await exportModelFolder(dir, output, o);
  const n = info.network, mb = (bytes.length / 1e6).toFixed(1);
  const before = n.parametersBeforePruning;
  const params = before && before !== n.parameters
    ? `${n.parameters.toLocaleString('en-US')} parameters (${before.toLocaleString('en-US')} before pruning, ${(100 * (1 - n.parameters / before)).toFixed(1)}% fewer)`
    : `${n.parameters.toLocaleString('en-US')} parameters`;
  console.log(`wrote ${output} (${mb} MB${n.halfWeights ? ', float16 weights' : ''}): ${n.name}, ${params}`);
  console.log(`  ${info.dataset.name}: ${info.labels.slice(1).map((l) => l.name).join(', ')}; input ${info.channels.join(', ')}; patch ${info.patchSize.join('x')}; checkpoint ${info.checkpoint}`
    + (info.validation ? `; validation Dice ${info.validation.meanDice.toFixed(3)} (${info.validation.cases} cases)` : ''));
  console.log(`  ops: ${n.ops.join(', ')}${n.webgpuNote ? `\n  note: ${n.webgpuNote}` : ''}`);
  console.log(`  use it: pspseg predict -m ${output} -i IMAGES -o OUT`);
  return 0;
}
