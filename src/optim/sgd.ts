/** SGD with momentum, Nesterov and L2 weight decay: PyTorch's update rule exactly. */
import { type Tensor } from '../tensor/index.js';
import { type NamedParameters, Optimizer } from './optimizer.js';

export interface SGDOptions { lr: number; momentum?: number; dampening?: number; weightDecay?: number; nesterov?: boolean }

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;

  constructor(params: NamedParameters, o: SGDOptions) {
    super(params, o.lr);
    this.momentum = o.momentum ?? 0;
    this.dampening = o.dampening ?? 0;
    this.weightDecay = o.weightDecay ?? 0;
    this.nesterov = o.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0))
      throw new Error('SGD: Nesterov momentum requires a momentum and zero dampening');
  }

  protected update(name: string, p: Tensor, grad: Tensor): void {
    let d = this.weightDecay ? grad.add(p, this.weightDecay) : grad;
    if (this.momentum) {
      let buf = this.slot(name, 'momentum_buffer');
      if (!buf) buf = this.setSlot(name, 'momentum_buffer', d.clone());
      else buf.mul_(this.momentum).add_(d, 1 - this.dampening);
      d = this.nesterov ? d.add(buf, this.momentum) : buf;
    }
    p.add_(d, -this.lr);
  }

  protected hyper() {
    return { momentum: this.momentum, dampening: this.dampening, weightDecay: this.weightDecay, nesterov: this.nesterov };
  }
}
