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

// libgomp reads this once, when libtorch loads it. Spinning idle OpenMP threads steal the CPU from
// everything else in the process (the batch loader's workers, the main thread) and collapse on a
// busy machine: measured 290 ms vs 184 ms per conv training step with one competing process, at a
// cost of ~2% on an idle one. The user's own setting wins.
process.env.OMP_WAIT_POLICY ??= 'passive';

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
