/**
 * Seeded sampling helpers for data preparation (fingerprint sampling, foreground locations), so a
 * rerun produces byte-identical outputs. The generator itself is the project's one PRNG.
 */
import type { Random } from '../../util/random.js';

/** A 32-bit seed from a base seed and a string (e.g. a case id), so every case gets its own stream. */
export function seedFor(base: number, key: string): number {
  let h = (base ^ 0x811c9dc5) >>> 0; // FNV-1a
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** How often each of n items is drawn in `draws` draws with replacement (numpy rs.choice(n, draws)). */
export function drawCountsWithReplacement(n: number, draws: number, rng: Random): Uint32Array {
  const counts = new Uint32Array(n);
  if (n > 0) for (let i = 0; i < draws; i++) counts[rng.int(n)]!++;
  return counts;
}

/** k distinct indices from [0, n), sorted ascending (Floyd's algorithm for small k, else shuffle prefix). */
export function sampleWithoutReplacement(n: number, k: number, rng: Random): Uint32Array {
  if (k > n) throw new Error(`sampleWithoutReplacement: k=${k} > n=${n}`);
  let out: Uint32Array;
  if (k * 4 < n) {
    const chosen = new Set<number>();
    for (let j = n - k; j < n; j++) {
      const t = rng.int(j + 1);
      chosen.add(chosen.has(t) ? j : t);
    }
    out = Uint32Array.from(chosen);
  } else {
    const all = new Uint32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    for (let i = 0; i < k; i++) {
      const j = i + rng.int(n - i);
      const t = all[i]!; all[i] = all[j]!; all[j] = t;
    }
    out = all.slice(0, k);
  }
  return out.sort();
}
