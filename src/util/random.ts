/**
 * A small seedable PRNG for data sampling and augmentation: xoshiro128** (32-bit state words, so
 * all arithmetic stays in exact int32 / Math.imul), seeded through splitmix32 so that nearby seeds
 * give unrelated streams. Same seed => same sequence on every platform.
 */

/** splitmix32 step: a well-mixed 32-bit value from a counter-like state. */
function splitmix32(state: number): [value: number, next: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [(z ^ (z >>> 16)) >>> 0, next];
}

/** A 32-bit seed mixed from several integers (e.g. base seed, batch index, stream id). */
export function mixSeed(...parts: number[]): number {
  let h = 0x6a09e667;
  for (const p of parts) {
    // Fold the full double (up to 2^53) in as two 32-bit halves so large indices do not collide.
    const lo = p >>> 0, hi = Math.floor(p / 4294967296) >>> 0;
    h = splitmix32(h ^ lo)[0];
    h = splitmix32(h ^ hi)[0];
  }
  return h >>> 0;
}

export class Random {
  private s0: number; private s1: number; private s2: number; private s3: number;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    let st = seed >>> 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) { const [v, n] = splitmix32(st); words.push(v); st = n; }
    [this.s0, this.s1, this.s2, this.s3] = words as [number, number, number, number];
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /** Uniform 32-bit unsigned integer. */
  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0; this.s3 ^= this.s1; this.s1 ^= this.s2; this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.uint32() >>> 5, lo = this.uint32() >>> 6; // 27 + 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  uniform(lo = 0, hi = 1): number { return lo + (hi - lo) * this.next(); }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Random.int: n must be a positive integer, got ${n}`);
    if (n <= 4294967296) {
      const limit = 4294967296 - (4294967296 % n); // reject the incomplete last block
      for (;;) { const v = this.uint32(); if (v < limit) return v % n; }
    }
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi] (both inclusive, like numpy randint(lo, hi + 1)). */
  intBetween(lo: number, hi: number): number {
    if (hi < lo) throw new RangeError(`Random.intBetween: empty range [${lo}, ${hi}]`);
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  bool(p: number): boolean { return this.next() < p; }

  /** Normal N(mean, std^2) (Marsaglia polar method; the second value is kept for the next call). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) { const v = this.spareNormal; this.spareNormal = null; return mean + std * v; }
    let u: number, v: number, s: number;
    do { u = 2 * this.next() - 1; v = 2 * this.next() - 1; s = u * u + v * v; } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return mean + std * u * f;
  }

  /** One element, uniformly. */
  choice<T>(items: ArrayLike<T>): T {
    if (items.length === 0) throw new RangeError('Random.choice: empty list');
    return items[this.int(items.length)]!;
  }

  /** A new independent stream seeded from this one (advances this stream by two draws). */
  fork(): Random { return new Random(mixSeed(this.uint32(), this.uint32())); }
}

function rotl(x: number, k: number): number { return (x << k) | (x >>> (32 - k)); }
