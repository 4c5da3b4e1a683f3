/**
 * Dynamic loss scaling for float16 training (torch.cuda.amp.GradScaler's algorithm and defaults): the
 * loss is multiplied by `scale` before backward so that small float16 gradients do not flush to zero;
 * the gradients are divided by it again before clipping; a step whose gradients hold an inf or NaN is
 * skipped and the scale halved; after `growthInterval` good steps in a row the scale doubles.
 * On CUDA the two fused kernels are libtorch's (_amp_foreach_non_finite_check_and_unscale_,
 * _amp_update_scale_); elsewhere (libtorch 1.13 has no CPU kernels for them) the same arithmetic runs
 * as tensor ops, which is what the tests check against the algorithm.
 */
import { type Tensor, ampUnscale, ampUpdateScale, full, noGrad, tidy, zeros } from '../tensor/index.js';
import type { Optimizer } from './optimizer.js';

export interface GradScalerOptions { initScale?: number; growthFactor?: number; backoffFactor?: number; growthInterval?: number }
/** The scale, the count of good steps since it last changed, and the steps skipped so far. */
export interface GradScalerState { scale: number; growthTracker: number; skipped: number }

export class GradScaler {
  readonly growthFactor: number;
  readonly backoffFactor: number;
  readonly growthInterval: number;
  /** Steps skipped because their gradients were not finite. */
  skipped = 0;
  private scaleT: Tensor;
  private tracker: Tensor;
  private foundInf: Tensor;

  constructor(device: Tensor['device'], o: GradScalerOptions = {}) {
    this.growthFactor = o.growthFactor ?? 2;
    this.backoffFactor = o.backoffFactor ?? 0.5;
    this.growthInterval = o.growthInterval ?? 2000;
    this.scaleT = full([1], o.initScale ?? 2 ** 16, { dtype: 'float32', device }).keep();
    this.tracker = zeros([1], { dtype: 'int32', device }).keep();
    this.foundInf = zeros([1], { dtype: 'float32', device }).keep();
  }

  get scale(): number { return this.scaleT.item(); }

  /** The loss times the scale, for backward. */
  scaleLoss(loss: Tensor): Tensor { return loss.mul(this.scaleT.to(loss.dtype)); }

  /** Divides the gradients by the scale in place; true when all of them are finite. */
  unscale(params: Tensor[]): boolean {
    return noGrad(() => tidy(() => {
      const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
      this.foundInf.zero_();
      const inv = this.scaleT.reciprocal();
      if (this.scaleT.device !== 'cpu') ampUnscale(grads, this.foundInf, inv);
      else for (const g of grads) {
        if (!g.isfinite().all().item()) this.foundInf.fill_(1);
        g.mul_(inv);
      }
      return this.foundInf.item() === 0;
    }));
  }

  /** The optimiser's step when the gradients were finite (else counted as skipped), then the scale's update. */
  step(opt: Optimizer, finite: boolean): void {
    if (finite) opt.step(); else this.skipped++;
    this.update();
  }

  private update(): void {
    noGrad(() => tidy(() => {
      if (this.scaleT.device !== 'cpu') {
        ampUpdateScale(this.scaleT, this.tracker, this.foundInf, this.growthFactor, this.backoffFactor, this.growthInterval);
        return;
      }
      if (this.foundInf.item() !== 0) {
        this.scaleT.mul_(this.backoffFactor);
        this.tracker.zero_();
      } else if (this.tracker.item() + 1 >= this.growthInterval) {
        this.scaleT.mul_(this.growthFactor);
        this.tracker.zero_();
      } else this.tracker.add_(1);
    }));
  }

  /** What a checkpoint keeps, so that a resumed run goes on with the same scale. */
  state(): GradScalerState {
    return { scale: this.scale, growthTracker: this.tracker.item(), skipped: this.skipped };
  }

  loadState(s: GradScalerState): void {
    noGrad(() => { this.scaleT.fill_(s.scale); this.tracker.fill_(s.growthTracker); });
    this.skipped = s.skipped;
  }

  dispose(): void {
    for (const t of [this.scaleT, this.tracker, this.foundInf]) t.dispose();
  }
}
