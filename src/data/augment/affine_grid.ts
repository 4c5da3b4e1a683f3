/**
 * affine_grid (align_corners false) built by broadcasting: grid = theta[:, 0] x + theta[:, 1] y +
 * theta[:, 2] z + theta[:, 3], with x, y, z the normalised voxel centres (2i + 1) / n - 1 of the
 * last, middle and first spatial axis. Only the final sum touches every grid point, so this is
 * several times faster than libtorch's affine_grid_generator (a batched matmul over a base grid)
 * and gives the same numbers up to float rounding.
 */
import { type Device, type Tensor, tensor } from '../../tensor/index.js';
import type { Shape3 } from '../../util/triple.js';

const centres = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => (2 * i + 1) / n - 1);

/** theta: row-major [3, 4]; size: output spatial [d0, d1, d2]. Returns [1, d0, d1, d2, 3]. */
export function affineGrid3d(theta: ArrayLike<number>, [d0, d1, d2]: Shape3, device?: Device): Tensor {
  const column = (j: number): Tensor => tensor(Float32Array.from([theta[j]!, theta[4 + j]!, theta[8 + j]!]), [1, 1, 1, 1, 3], { device });
  const x = tensor(centres(d2), [1, 1, 1, d2, 1], { device });
  const y = tensor(centres(d1), [1, 1, d1, 1, 1], { device });
  const z = tensor(centres(d0), [1, d0, 1, 1, 1], { device });
  return z.mul(column(2)).add(column(3)).add(y.mul(column(1))).add(x.mul(column(0)));
}
