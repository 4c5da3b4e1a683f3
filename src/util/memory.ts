/**
 * Memory guards: before a step that may need much memory starts, its estimate is compared with what
 * the machine has free, and the step is refused with a message naming what it is (the case), the
 * estimate, what is available, and what to change. Estimates come from the layer that knows the
 * work (data/preprocess/memory_estimate.ts for preprocessing and inference, the network for a
 * training step); this module only compares and words.
 *
 * Available memory: $PSPSEG_MEMORY when set ("8G", "512M", bytes: what pspseg may use; "off" turns the
 * guards off), else what the OS says a new allocation can get (cgroup limits included).
 */
import { freemem } from 'node:os';

/** An estimate must stay below this share of the available memory (the rest: the OS, other processes, fragmentation). */
export const MEMORY_HEADROOM = 0.9;

export class MemoryGuardError extends Error {
  override readonly name = 'MemoryGuardError';
  constructor(message: string, readonly needBytes: number, readonly availableBytes: number) { super(message); }
}

/** "11.4 GB", "820 MB" (powers of 1024, as free and top show). */
export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GB`;
  if (bytes >= 2 ** 20) return `${Math.round(bytes / 2 ** 20)} MB`;
  return `${Math.max(0, Math.round(bytes / 2 ** 10))} KB`;
}

/** "8G", "512M", "1.5g", "1000000": bytes; undefined when not a size. */
export function parseBytes(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(text);
  if (!m) return undefined;
  const scale = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * scale);
}

/** Bytes a new allocation can get; Infinity when the guards are off (PSPSEG_MEMORY=off). */
export function availableMemory(env: NodeJS.ProcessEnv = process.env): number {
  const set = env.PSPSEG_MEMORY?.trim();
  if (set) {
    if (set.toLowerCase() === 'off') return Infinity;
    const bytes = parseBytes(set);
    if (bytes === undefined) throw new Error(`PSPSEG_MEMORY must be a size such as 8G or 512M, or off; got '${set}'`);
    return bytes;
  }
  const p = process as NodeJS.Process & { availableMemory?: () => number };
  return typeof p.availableMemory === 'function' ? p.availableMemory() : freemem();
}

export interface MemoryNeed {
  /** What needs it, e.g. "preprocessing case brats_001 (2 channels, 240 x 240 x 155 -> 480 x 480 x 310 voxels (x, y, z))". */
  what: string;
  bytes: number;
  /** What the user can change, e.g. ["a coarser target spacing (--target-spacing)", "fewer --workers"]. */
  remedies: readonly string[];
}

export function fitsInMemory(bytes: number, available = availableMemory()): boolean {
  return bytes <= available * MEMORY_HEADROOM;
}

/** Throws MemoryGuardError when the need does not fit in the available memory. */
export function guardMemory(need: MemoryNeed, available = availableMemory()): void {
  if (fitsInMemory(need.bytes, available)) return;
  const remedies = need.remedies.length ? `; use ${need.remedies.join(', or ')}` : '';
  throw new MemoryGuardError(
    `${need.what} needs about ${formatBytes(need.bytes)} of memory (estimate), but ${formatBytes(available)} is available${remedies}. `
    + '(PSPSEG_MEMORY sets how much pspseg may use; PSPSEG_MEMORY=off turns this check off.)',
    need.bytes, available);
}

/**
 * How many of `needs` (bytes each, e.g. one per case, done in parallel by workers) may run at once:
 * the most k such that the k largest fit together, at most `wanted`, at least 1.
 */
export function concurrencyFor(needs: readonly number[], wanted: number, available = availableMemory(), perWorkerBytes = 0): number {
  const sorted = [...needs].sort((a, b) => b - a);
  let k = 0, sum = 0;
  while (k < Math.min(wanted, sorted.length)) {
    const next = sum + sorted[k]! + perWorkerBytes;
    if (!fitsInMemory(next, available)) break;
    sum = next;
    k++;
  }
  return Math.max(1, k);
}
