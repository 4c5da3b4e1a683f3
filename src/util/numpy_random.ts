/**
 * numpy's legacy `np.random.RandomState(seed)`, as far as nnU-Net's data splits need it: the
 * MT19937 generator seeded the legacy way (init_genrand on a 32-bit seed), bounded integers by
 * masked rejection sampling (`random_interval`), and the legacy in-place `shuffle` (Fisher-Yates
 * from the last element down). Same seed => the same numbers as numpy, bit for bit
 * (test/fixtures/splits.json is written by scripts/make_splits_fixture.py with numpy).
 */
const N = 624;
const M = 397;

export class NumpyRandomState {
  private readonly mt = new Uint32Array(N);
  private pos = N;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`NumpyRandomState: seed must be an integer in [0, 2^32 - 1], got ${seed}`);
    let s = seed >>> 0;
    for (let i = 0; i < N; i++) {
      this.mt[i] = s;
      s = (Math.imul(1812433253, (s ^ (s >>> 30)) >>> 0) + i + 1) >>> 0;
    }
  }

  /** The next raw 32-bit output (genrand_int32). */
  uint32(): number {
    if (this.pos >= N) this.twist();
    let y = this.mt[this.pos++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** Uniform integer in [0, max] (inclusive): numpy's random_interval (mask, then reject values above max). */
  interval(max: number): number {
    if (!Number.isInteger(max) || max < 0 || max > 0xffffffff) throw new RangeError(`interval: max must be an integer in [0, 2^32 - 1], got ${max}`);
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1; mask |= mask >>> 2; mask |= mask >>> 4; mask |= mask >>> 8; mask |= mask >>> 16;
    for (;;) {
      const v = (this.uint32() & mask) >>> 0;
      if (v <= max) return v;
    }
  }

  /** In-place shuffle of a 1-D array, as legacy `RandomState.shuffle`. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i >= 1; i--) {
      const j = this.interval(i);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a;
  }

  /** `permutation(n)`: a shuffled arange(n). */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** `choice(n, k, replace=False)` without probabilities: the first k of a permutation (legacy algorithm). */
  choiceWithoutReplacement(n: number, k: number): number[] {
    if (k > n || k < 0) throw new RangeError(`choice: cannot take ${k} of ${n} without replacement`);
    return this.permutation(n).slice(0, k);
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < N; i++) {
      const y = (mt[i]! & 0x80000000) | (mt[(i + 1) % N]! & 0x7fffffff);
      mt[i] = mt[(i + M) % N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.pos = 0;
  }
}
