/**
 * Exact Euclidean distance transform on an anisotropic 3D grid (Felzenszwalb & Huttenlocher, "Distance
 * Transforms of Sampled Functions", 2012): the squared distance is separable, so one exact 1D pass
 * per axis (the lower envelope of parabolas spaced by that axis's spacing) gives the exact result.
 * Grid order: x fastest, index = x + nx * (y + ny * z).
 */

/**
 * Squared distance (in mm^2) from every grid point to the nearest point where `feature` is nonzero;
 * Infinity everywhere when there is no feature point.
 */
export function squaredDistanceTransform(
  feature: Uint8Array, shape: readonly [number, number, number], spacing: readonly [number, number, number],
  out = new Float64Array(feature.length),
): Float64Array {
  const [nx, ny, nz] = shape;
  if (feature.length !== nx * ny * nz || out.length !== feature.length) {
    throw new Error(`squaredDistanceTransform: ${feature.length} values for a ${nx}x${ny}x${nz} grid`);
  }
  for (let i = 0; i < feature.length; i++) out[i] = feature[i] ? 0 : Infinity;
  const longest = Math.max(nx, ny, nz);
  const work: LineWork = {
    f: new Float64Array(longest), d: new Float64Array(longest),
    v: new Int32Array(longest), z: new Float64Array(longest + 1),
  };
  // x lines (contiguous), then y lines (stride nx), then z lines (stride nx * ny).
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) transformLine(out, (k * ny + j) * nx, 1, nx, spacing[0], work);
  for (let k = 0; k < nz; k++) for (let i = 0; i < nx; i++) transformLine(out, k * nx * ny + i, nx, ny, spacing[1], work);
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) transformLine(out, j * nx + i, nx * ny, nz, spacing[2], work);
  return out;
}

interface LineWork { f: Float64Array; d: Float64Array; v: Int32Array; z: Float64Array }

/**
 * In place along one line: d(p) = min_q f(q) + (s * (p - q))^2 over the finite f(q). Parabolas of
 * infinite f are left out of the envelope; a line with none stays infinite.
 */
function transformLine(grid: Float64Array, start: number, stride: number, n: number, s: number, w: LineWork): void {
  const { f, d, v, z } = w;
  let finite = 0;
  for (let i = 0, p = start; i < n; i++, p += stride) {
    f[i] = grid[p]!;
    if (f[i] !== Infinity) finite++;
  }
  if (finite === 0 || finite === n && allZero(f, n)) return;
  const s2 = s * s;
  let k = -1; // index of the rightmost parabola in the envelope
  for (let q = 0; q < n; q++) {
    const fq = f[q]!;
    if (fq === Infinity) continue;
    if (k < 0) { k = 0; v[0] = q; z[0] = -Infinity; z[1] = Infinity; continue; }
    // Where parabola q overtakes the envelope's rightmost one; drop those it hides entirely.
    // z[0] = -Infinity stops the loop at the first parabola.
    let r = v[k]!;
    let x = ((fq + s2 * q * q) - (f[r]! + s2 * r * r)) / (2 * s2 * (q - r));
    while (x <= z[k]!) {
      k--;
      r = v[k]!;
      x = ((fq + s2 * q * q) - (f[r]! + s2 * r * r)) / (2 * s2 * (q - r));
    }
    k++;
    v[k] = q;
    z[k] = x;
    z[k + 1] = Infinity;
  }
  let j = 0;
  for (let p = 0; p < n; p++) {
    while (z[j + 1]! < p) j++;
    const dq = p - v[j]!;
    d[p] = f[v[j]!]! + s2 * dq * dq;
  }
  for (let i = 0, p = start; i < n; i++, p += stride) grid[p] = d[i]!;
}

function allZero(f: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (f[i] !== 0) return false;
  return true;
}
