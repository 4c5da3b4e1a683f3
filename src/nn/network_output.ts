/**
 * What a segmentation network's forward pass returns: everything the losses read. Defined here, below
 * both src/models (which produces it) and src/losses (which reads it).
 */
import type { Tensor } from '../tensor/index.js';

export interface NetworkOutput {
  /** [full resolution, 1/2, 1/4, ...]; length 1 without deep supervision. */
  logits: Tensor[];
  /** Encoder outputs from stage 0 to the bottleneck (the skips and the bottleneck): TR compares them with the masked pass. */
  encoderFeatures: Tensor[];
  /** The decoder output at 1/2 resolution (PSP-Seg: decoder stage 1), the RL map of the authors' code; null when the network has none. */
  regionFeatures: Tensor | null;
  /**
   * Every decoder stage's output, full resolution first, when the network was asked for them: the RL
   * maps of the paper's variant. A network that only returns `regionFeatures` supports the 'code' variant alone.
   */
  decoderFeatures?: Tensor[];
}

/**
 * The output with every map in float32: under autocast the network's maps are bfloat16 or float16, and
 * the losses (softmax, sums over a whole patch) run in float32 (libtorch 1.13's CPU autocast would leave
 * softmax and the sums in bfloat16: tensor_autocast.test.ts). The casts are
 * recorded by autograd, so gradients flow back in the network's precision. A float32 map is passed as it is.
 */
export function float32Output(o: NetworkOutput): NetworkOutput {
  return {
    logits: o.logits.map(asFloat32), encoderFeatures: o.encoderFeatures.map(asFloat32), regionFeatures: o.regionFeatures && asFloat32(o.regionFeatures),
    ...(o.decoderFeatures ? { decoderFeatures: o.decoderFeatures.map(asFloat32) } : {}),
  };
}

/** `t` in float32: a cast (recorded by autograd) from autocast's bfloat16 or float16, `t` itself when it is float32. */
export function asFloat32(t: Tensor): Tensor {
  return t.dtype === 'float32' ? t : t.float();
}
