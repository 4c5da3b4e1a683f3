/**
 * The precisions pspseg trains and predicts in, and what `auto` picks: plain data without the engine,
 * so that config files and option tables can name them without loading libtorch.
 */
import { type CpuInfo, cpuInfo, hasNativeBf16 } from '../util/cpu_info.js';
import { UsageError } from '../util/options.js';

/** The precisions pspseg trains and predicts in: float32, or autocast to bfloat16 (CPU, CUDA) or float16 (CUDA). */
export const PRECISIONS = ['fp32', 'bf16', 'fp16'] as const;
export type Precision = typeof PRECISIONS[number];

/** A precision as the command line takes it: `auto` picks per device (resolvePrecision). */
export type PrecisionChoice = Precision | 'auto';
export const PRECISION_CHOICES = ['auto', ...PRECISIONS] as const;

/**
 * Whether `auto` picks bf16 on a CPU with native bfloat16. Off: the demo schedule in bf16 has not yet been
 * measured within the seed spread of fp32 (docs/training.md, Precision; docs/demo.md), so bf16 is chosen explicitly.
 */
export const AUTO_BF16_ON_CPU = false;

/**
 * The precision a run uses on `device`: `auto` is fp16 on CUDA (nnU-Net's default: autocast with a
 * gradient scaler) and fp32 on a CPU (see AUTO_BF16_ON_CPU). fp16 needs CUDA: libtorch's CPU autocast
 * runs bfloat16 only.
 */
export function resolvePrecision(choice: PrecisionChoice, device: string, cpu: CpuInfo = cpuInfo()): Precision {
  const cuda = device.startsWith('cuda');
  if (choice === 'auto') return cuda ? 'fp16' : AUTO_BF16_ON_CPU && hasNativeBf16(cpu) ? 'bf16' : 'fp32';
  if (choice === 'fp16' && !cuda) throw new UsageError(`--precision fp16 needs CUDA (libtorch's CPU autocast runs bfloat16 only); on ${device} use bf16 or fp32`);
  return choice;
}
