/**
 * Segmentation loss: cross-entropy + soft Dice over the foreground classes (batch Dice, smooth
 * 1e-5), label -1 ignored by both; with several outputs (deep supervision) nnU-Net's weights
 * 1/2^i, the lowest output 0, normalised. A simple stand-in: src/losses' full Dice+CE replaces it.
 */
import { F, type Tensor } from '../tensor/index.js';

/** One output: `logits` [B, K, ...], `target` int64 [B, 1, ...] with -1 = ignore. */
export function diceCeTerm(logits: Tensor, target: Tensor): Tensor {
  const classes = logits.shape[1]!;
  const t = target.squeeze(1);
  const ce = F.crossEntropy(logits, t, { ignoreIndex: -1 });
  const valid = t.ge(0).unsqueeze(1).to('float32');
  const probs = logits.softmax(1).mul(valid);
  const onehot = F.oneHot(t.clamp(0), classes).permute([0, 4, 1, 2, 3]).to('float32').mul(valid);
  const dims = [0, 2, 3, 4];
  const tp = probs.mul(onehot).sum(dims);
  const dice = tp.mul(2).add(1e-5).div(probs.sum(dims).add(onehot.sum(dims)).add(1e-5));
  return ce.sub(dice.slice(0, 1).mean());
}

/** nnU-Net's deep-supervision weights for n outputs (full resolution first). */
export function deepSupervisionWeights(n: number): number[] {
  if (n === 1) return [1];
  const w = Array.from({ length: n }, (_, i) => (i === n - 1 ? 0 : 1 / 2 ** i));
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / sum);
}

/** Dice + CE over every output, weighted (targets[i] matches logits[i]'s resolution). */
export function diceCeLoss(logits: Tensor[], targets: Tensor[]): Tensor {
  if (targets.length < logits.length) throw new Error(`diceCeLoss: ${logits.length} outputs but ${targets.length} targets`);
  const w = deepSupervisionWeights(logits.length);
  let total: Tensor | null = null;
  logits.forEach((l, i) => {
    if (w[i] === 0) return;
    const term = diceCeTerm(l, targets[i]!).mul(w[i]!);
    total = total ? total.add(term) : term;
  });
  return total!;
}
