/** Applying a function to selected channels of a [1, C, ...] image, leaving the others as they are. */
import { type Tensor, cat } from '../../tensor/index.js';

/** `fn` gets channel c as [1, 1, ...] and its parameter; channels whose parameter is null are copied through. */
export function mapChannels<T>(image: Tensor, params: readonly (T | null)[], fn: (channel: Tensor, p: T, c: number) => Tensor): Tensor {
  if (params.every((p) => p === null)) return image;
  const parts = params.map((p, c) => {
    const ch = image.narrow(1, c, 1);
    return p === null ? ch : fn(ch, p, c);
  });
  return parts.length === 1 ? parts[0]! : cat(parts, 1);
}
