/** AdamW (decoupled weight decay): PyTorch's update rule exactly (no amsgrad). */
import { type Tensor } from '../tensor/index.js';
import { type NamedParameters, Optimizer } from './optimizer.js';

export interface AdamWOptions { lr: number; betas?: [number, number]; eps?: number; weightDecay?: number }

export class AdamW extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;

  constructor(params: NamedParameters, o: AdamWOptions) {
    super(params, o.lr);
    this.betas = o.betas ?? [0.9, 0.999];
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? 1e-2;
  }

  protected update(name: string, p: Tensor, grad: Tensor): void {
    const [b1, b2] = this.betas;
    p.mul_(1 - this.lr * this.weightDecay);
    const m = this.slot(name, 'exp_avg') ?? this.setSlot(name, 'exp_avg', grad.mul(0));
    const v = this.slot(name, 'exp_avg_sq') ?? this.setSlot(name, 'exp_avg_sq', grad.mul(0));
    // Each parameter counts its own steps, as PyTorch does (pruning may add/remove parameters).
    const step = (this.counts.get(name) ?? 0) + 1;
    this.counts.set(name, step);
    m.mul_(b1).add_(grad, 1 - b1);
    v.mul_(b2).addcmul_(grad, grad, 1 - b2);
    const biasCorrection1 = 1 - b1 ** step;
    const biasCorrection2 = 1 - b2 ** step;
    const denom = v.sqrt().div_(Math.sqrt(biasCorrection2)).add_(this.eps);
    p.addcdiv_(m, denom, -this.lr / biasCorrection1);
  }

  protected hyper() {
    return { beta1: this.betas[0], beta2: this.betas[1], eps: this.eps, weightDecay: this.weightDecay };
  }
}
