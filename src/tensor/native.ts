/**
 * Loads the libtorch addon (its interface: src/native/binding.ts). Everything else in pspseg talks
 * to libtorch through `Tensor`; only this file knows where the binary lives.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TorchError } from './errors.js';
import type { NativeBinding, NativeConfig } from '../native/binding.js';

export type { Handle, GeneratorHandle, NativeBinding } from '../native/binding.js';

function findAddon(): string {
  const override = process.env.PSPSEG_ADDON;
  if (override) {
    if (!existsSync(override)) throw new Error(`PSPSEG_ADDON=${override}: no such file`);
    return resolve(override);
  }
  // src/tensor or dist/src/tensor: walk up to the package root.
  for (let dir = dirname(fileURLToPath(import.meta.url)), i = 0; i < 5; i++, dir = dirname(dir)) {
    const candidate = join(dir, 'native', 'build', 'Release', 'pspseg_native.node');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error("pspseg's native addon is not built: run 'npm run build' (see README, Requirements)");
}

// libgomp reads these once, when libtorch loads it. Threads that spin long after each parallel
// region steal the CPU from everything else (the loader's workers, other jobs) and collapse on a busy
// machine; threads that sleep at once pay a futex wake-up for every op, which dominates small ops.
// Measured on the 2-core AVX-512 VM, PSP-Seg S training step at 2x32x48x32 (bench/omp_wait.ts):
// idle 233 ms sleeping at once, 147 ms spinning 1000 rounds (~20-50 us), 142 ms spinning 3000; with a
// competing CPU-bound process 395, 454 and 533 ms. A short spin keeps nearly all of the gain and
// little of the risk. The user's own OMP_WAIT_POLICY or GOMP_SPINCOUNT wins.
if (process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined) {
  process.env.OMP_WAIT_POLICY = 'passive';
  process.env.GOMP_SPINCOUNT = '1000';
}

// Read by the addon when it loads (native/src/allocator.cpp), which would take an unknown value for auto.
const allocator = process.env.PSPSEG_ALLOCATOR;
if (allocator !== undefined && !['auto', 'huge-pages', 'glibc'].includes(allocator))
  throw new Error(`PSPSEG_ALLOCATOR=${allocator}: must be auto, huge-pages or glibc`);

const require = createRequire(import.meta.url);
export const native: NativeBinding = require(findAddon()) as NativeBinding;
native.setErrorClass(TorchError);

export type EngineConfig = NativeConfig;

/** What the engine runs on: libtorch version, threads, devices, oneDNN, allocator tuning. */
export function engineConfig(): EngineConfig {
  return native.config();
}

export function setThreads(n: number): void {
  native.setThreads(n);
}

/** Waits for queued CUDA work (for timing); a no-op without CUDA. */
export function synchronize(device = 0): void {
  native.cudaSynchronize(device);
}

/**
 * Bytes held by libtorch's CUDA caching allocator on `device` (what PyTorch's memory_allocated,
 * memory_reserved and max_memory_allocated read); `resetPeak` starts a new peak after reading.
 * A TorchError (UNSUPPORTED) where the addon was built without CUDA.
 */
export function cudaMemory(device = 0, o: { resetPeak?: boolean } = {}): { allocated: number; reserved: number; peakAllocated: number } {
  return native.cudaMemory(device, o.resetPeak ?? false);
}
