/** Learning-rate schedules and gradient clipping. */
import { type Tensor, noGrad, stack, tidy } from '../tensor/index.js';

/** nnU-Net's poly schedule: lr0 * (1 - epoch / epochs)^exponent, set at the start of each epoch. */
export function polyLR(lr0: number, epoch: number, epochs: number, exponent = 0.9): number {
  return lr0 * Math.pow(1 - epoch / epochs, exponent);
}

/**
 * Scales gradients so their global 2-norm is at most maxNorm (torch.nn.utils.clip_grad_norm_).
 * Returns the norm before clipping.
 */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  return noGrad(() => tidy(() => {
    const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
    if (grads.length === 0) return 0;
    // Same reduction order as PyTorch: the norm of the per-tensor norms.
    const total = stack(grads.map((g) => g.norm(2))).norm(2);
    const coef = total.add(1e-6).rdiv(maxNorm).clamp(undefined, 1);
    for (const g of grads) g.mul_(coef);
    return total.item();
  }));
}
