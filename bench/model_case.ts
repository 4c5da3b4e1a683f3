/**
 * A hippocampus-like training batch for bench/model.ts, the same on both sides of the benchmark:
 * per sample one curved tube along the second axis (a thick anterior head, label 1, then a thinning
 * posterior body and tail, label 2) at a jittered place in the patch, about 3-4% of the voxels, as the
 * MSD hippocampus crops; a T1-like image (smooth tissue contrast, the structure a little brighter,
 * noise), z-scored as nnU-Net does for MRI. The fill value of the masked input is the 0.5th percentile
 * of the foreground intensities (the TR loss' value).
 */
import { Random } from '../src/util/random.js';

export interface BenchCase { image: Float32Array; label: Int8Array; shape: [number, number, number, number, number]; fill: number; foreground: number }

export function hippocampusLikeCase(patch: [number, number, number], batch: number, seed = 0): BenchCase {
  const [D, H, W] = patch, n = D * H * W, rng = new Random(seed);
  const image = new Float32Array(batch * n), label = new Int8Array(batch * n);
  for (let b = 0; b < batch; b++) {
    const cz = D / 2 + rng.uniform(-3, 3), cy = H / 2 + rng.uniform(-4, 4), cx = W / 2 + rng.uniform(-3, 3);
    const half = 0.36 * H, bend = rng.uniform(3, 6), tilt = rng.uniform(-0.15, 0.15);
    const g = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)]; // tissue gradient
    for (let z = 0; z < D; z++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const i = b * n + (z * H + y) * W + x;
      const t = (y - cy) / half; // -1 (anterior end) .. 1 (tail)
      let cls = 0;
      if (Math.abs(t) <= 1) {
        const r = t < -0.2 ? 8 - 2 * (t + 0.2) ** 2 : 8 - 5 * (t + 0.2) / 1.2; // head ~8, tail ~3 voxels
        const dz = z - (cz + tilt * (y - cy)), dx = x - (cx + bend * Math.sin(Math.PI * t));
        if ((dz / (0.8 * r)) ** 2 + (dx / r) ** 2 <= 1) cls = t < -0.2 ? 1 : 2;
      }
      label[i] = cls;
      const tissue = 0.3 * (g[0]! * (z / D - 0.5) + g[1]! * (y / H - 0.5) + g[2]! * (x / W - 0.5));
      image[i] = 1 + tissue + (cls ? 0.45 : 0) + 0.25 * rng.normal();
    }
  }
  zScore(image);
  const fg = Float32Array.from(image.filter((_, i) => label[i]! > 0)).sort();
  const q = 0.005 * (fg.length - 1), lo = Math.floor(q); // numpy's linear percentile
  const fill = fg[lo]! + (q - lo) * (fg[Math.min(lo + 1, fg.length - 1)]! - fg[lo]!);
  return { image, label, shape: [batch, 1, D, H, W], fill, foreground: fg.length / label.length };
}

function zScore(a: Float32Array): void {
  let s = 0, s2 = 0;
  for (const v of a) { s += v; s2 += v * v; }
  const mean = s / a.length, std = Math.sqrt(Math.max(s2 / a.length - mean * mean, 1e-12));
  for (let i = 0; i < a.length; i++) a[i] = (a[i]! - mean) / std;
}
