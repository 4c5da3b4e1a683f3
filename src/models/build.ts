/** A network from its architecture data. */
import type { Generator } from '../tensor/index.js';
import { type Architecture, validateArchitecture } from './architecture.js';
import type { SegmentationNetwork } from './network.js';
import { PlainUNet } from './plain_unet.js';
import { PSPSegNet } from './psp_seg_net.js';

/** Builds the network an architecture describes (fresh weights: Kaiming-normal convs, zero biases, PRM weights 0). */
export function buildNetwork(arch: Architecture, o: { generator?: Generator } = {}): SegmentationNetwork {
  const a = validateArchitecture(arch);
  return a.kind === 'psp' ? new PSPSegNet(a, o) : new PlainUNet(a, o);
}
