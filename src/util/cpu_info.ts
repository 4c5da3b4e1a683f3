/**
 * The CPU pspseg runs on, for `pspseg info` and benchmark records: timings depend on it (an AVX2-only
 * machine takes ~4x longer per training step than an AVX-512 one), so figures are quoted with it.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** The vector extensions that change how fast libtorch's kernels run, widest last. */
export const VECTOR_EXTENSIONS = ['sse4_2', 'avx', 'avx2', 'fma', 'avx_vnni', 'avx512f', 'avx512bw', 'avx512_vnni', 'avx512_bf16', 'amx_tile'] as const;

export interface CpuInfo {
  model: string;
  /** Logical CPUs this process may use. */
  cores: number;
  /** Those of VECTOR_EXTENSIONS the CPU has, in that order (empty when unknown, e.g. not Linux). */
  vectorExtensions: string[];
}

/** Model and vector extensions from the text of /proc/cpuinfo (its first processor). */
export function parseCpuinfo(text: string): { model?: string; vectorExtensions: string[] } {
  const field = (name: string): string | undefined => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const flags = new Set((field('flags') ?? field('Features') ?? '').split(/\s+/));
  return { model: field('model name'), vectorExtensions: VECTOR_EXTENSIONS.filter((f) => flags.has(f)) };
}

export function cpuInfo(): CpuInfo {
  let parsed: ReturnType<typeof parseCpuinfo> = { vectorExtensions: [] };
  try { parsed = parseCpuinfo(readFileSync('/proc/cpuinfo', 'utf8')); } catch { /* not Linux */ }
  const list = cpus();
  return { model: parsed.model ?? list[0]?.model?.trim() ?? 'unknown', cores: list.length, vectorExtensions: parsed.vectorExtensions };
}

/** "AMD EPYC, 2 cores, avx2 fma avx512f ..." */
export function describeCpu(c: CpuInfo = cpuInfo()): string {
  return `${c.model}, ${c.cores} core(s)${c.vectorExtensions.length ? `, ${c.vectorExtensions.join(' ')}` : ''}`;
}

/** Whether the CPU computes bfloat16 natively (AVX-512 BF16 or AMX), where libtorch's bfloat16 kernels can beat float32. */
export function hasNativeBf16(c: CpuInfo = cpuInfo()): boolean {
  return c.vectorExtensions.includes('avx512_bf16') || c.vectorExtensions.includes('amx_tile');
}
