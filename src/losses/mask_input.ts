/** The TR loss' masked input: only foreground (label > 0) keeps its intensities. */
import { type Tensor, tensor, where } from '../tensor/index.js';

/**
 * image [B, C, ...], label [B, 1, ...] (int): every voxel that is not foreground (background, ignored
 * padding) takes `fillValue`, the dataset's 0.5th percentile of normalised foreground intensity; one
 * number for all channels or one per channel.
 */
export function maskInput(image: Tensor, label: Tensor, fillValue: number | readonly number[]): Tensor {
  const [b, c] = image.shape;
  const l = label.shape;
  if (l.length !== image.rank || l[0] !== b || l[1] !== 1 || l.slice(2).join() !== image.shape.slice(2).join())
    throw new Error(`maskInput: label [${l}] does not fit image [${image.shape}]`);
  const foreground = label.gt(0);
  if (typeof fillValue === 'number') return where(foreground, image, fillValue);
  if (fillValue.length !== c) throw new Error(`maskInput: ${fillValue.length} fill values for ${c} channels`);
  const fill = tensor(Float64Array.from(fillValue), [1, c!, ...l.slice(2).map(() => 1)], { device: image.device }).to(image.dtype);
  return where(foreground, image, fill);
}
