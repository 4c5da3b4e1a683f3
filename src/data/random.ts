/**
 * Seeded randomness for data preparation (fingerprint sampling, foreground locations), so that a
 * rerun produces byte-identical outputs. sfc32: small, fast, passes PractRand for these uses.
 */
export class Rng {
  private a: number; private b: number; private c: number; private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9; this.b = 0x243f6a88; this.c = 0xb7e15162; this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.nextUint32(); // decorrelate nearby seeds
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number { return this.nextUint32() / 4294967296; }

  /** Uniform integer in [0, n), n < 2^32 (bias below n / 2^32, negligible here). */
  int(n: number): number { return Math.floor(this.next() * n); }
}

/** A 32-bit seed from a base seed and a string (e.g. a case id), so every case gets its own stream. */
export function seedFor(base: number, key: string): number {
  let h = (base ^ 0x811c9dc5) >>> 0; // FNV-1a
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** How often each of n items is drawn in `draws` draws with replacement (numpy rs.choice(n, draws)). */
export function drawCountsWithReplacement(n: number, draws: number, rng: Rng): Uint32Array {
  const counts = new Uint32Array(n);
  if (n > 0) for (let i = 0; i < draws; i++) counts[rng.int(n)]!++;
  return counts;
}

/** k distinct indices from [0, n), sorted ascending (Floyd's algorithm for small k, else shuffle prefix). */
export function sampleWithoutReplacement(n: number, k: number, rng: Rng): Uint32Array {
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
