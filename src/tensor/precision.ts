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
 * Whether `auto` trains in bf16 on a CPU with native bfloat16. On: the demo schedule in bf16 scored within
 * fp32's spread over the same seeds, and trained 1.4x faster
 * (docs/demo.md, "The default: 55 epochs, delta 0.01, bf16 where the CPU has it").
 */
export const AUTO_BF16_ON_CPU = true;

/** What the precision is for: training (train, demo), or prediction (predict). */
export type PrecisionUse = 'train' | 'predict';

/**
 * The precision a run uses on `device`: `auto` is fp16 on CUDA (nnU-Net's default: autocast with a
 * gradient scaler); on a CPU, bf16 for training where the CPU computes bfloat16 natively (AUTO_BF16_ON_CPU),
 * else fp32. Prediction on a CPU stays fp32 under `auto`: bfloat16 inference has not been measured
 * against fp32, and fp32 gives what the exported ONNX model gives. fp16 needs CUDA: libtorch's CPU
 * autocast runs bfloat16 only.
 */
export function resolvePrecision(choice: PrecisionChoice, device: string, cpu: CpuInfo = cpuInfo(), use: PrecisionUse = 'train'): Precision {
  const cuda = device.startsWith('cuda');
  if (choice === 'auto') return cuda ? 'fp16' : use === 'train' && AUTO_BF16_ON_CPU && hasNativeBf16(cpu) ? 'bf16' : 'fp32';
  if (choice === 'fp16' && !cuda) throw new UsageError(`--precision fp16 needs CUDA (libtorch's CPU autocast runs bfloat16 only); on ${device} use bf16 or fp32`);
  return choice;
}
