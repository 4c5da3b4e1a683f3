/**
 * TR (target representation) loss: for every encoder output, the mean over voxels of
 * 1 - cosine similarity along channels between the features of the image and those of its masked copy
 * (computed without gradients); summed over the levels.
 */
import { F, type Tensor } from '../tensor/index.js';

export function targetRepresentation(features: readonly Tensor[], maskedFeatures: readonly Tensor[]): Tensor {
  if (features.length === 0) throw new Error('TR loss: the network returned no encoder features');
  if (features.length !== maskedFeatures.length)
    throw new Error(`TR loss: ${features.length} encoder features but ${maskedFeatures.length} masked-input features`);
  let sum: Tensor | null = null;
  features.forEach((f, i) => {
    const m = maskedFeatures[i]!;
    if (f.shape.join() !== m.shape.join())
      throw new Error(`TR loss: level ${i}: features [${f.shape}] vs masked-input features [${m.shape}]`);
    // detach: a no-op for features made under noGrad, and the stop-gradient of the method otherwise
    const level = F.cosineSimilarity(f, m.detach(), 1).rsub(1).mean();
    sum = sum === null ? level : sum.add(level);
  });
  return sum!;
}
