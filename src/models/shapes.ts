/**
 * Shapes and activation-memory estimates. Every block can say, without running, what shape it
 * returns for an input shape and roughly how many bytes of activations autograd keeps for the
 * backward pass of one training step (the tensors its ops save, plus its output, which its consumer
 * saves). The planner and the memory guard add these up.
 */
import type { Conv3d } from '../nn/index.js';
import type { Triple } from '../util/triple.js';

export type { Triple };
/** The shape of one sample's feature map: [channels, depth, height, width]. */
export type FeatureShape = [number, number, number, number];

/** What every block of the networks knows about itself. */
export interface ShapedBlock {
  outputShape(input: FeatureShape): FeatureShape;
  /** Bytes of activations kept for backward in a training step with this input (float32). */
  activationBytes(input: FeatureShape, batch: number): number;
}

/** LeakyReLU slope everywhere (nnU-Net and PSP-Seg). */
export const LRELU_SLOPE = 0.01;
/** Activations are float32. */
export const ACTIVATION_BYTES_PER_ELEMENT = 4;

export const voxels = (s: FeatureShape): number => s[1] * s[2] * s[3];
/** Bytes of one float32 feature map of shape `s` for a batch. */
export const featureBytes = (s: FeatureShape, batch: number): number => s[0] * voxels(s) * batch * ACTIVATION_BYTES_PER_ELEMENT;
export const withChannels = (s: FeatureShape, c: number): FeatureShape => [c, s[1], s[2], s[3]];
export const spatial = (s: FeatureShape): Triple => [s[1], s[2], s[3]];

/** A conv's output feature shape. */
export function convShape(conv: Pick<Conv3d, 'outChannels' | 'outputShape'>, input: FeatureShape): FeatureShape {
  return [conv.outChannels, ...conv.outputShape(spatial(input))];
}

export const formatShape = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * A plain conv seen as a block (stem, heads, nnU-Net's transposed convs): its output shape, and
 * its output as the kept activation (the next op or the loss saves it).
 */
export function shapedConv(conv: { outChannels: number; outputShape(input: Triple): Triple }): ShapedBlock {
  return {
    outputShape: (input) => [conv.outChannels, ...conv.outputShape(spatial(input))],
    activationBytes: (input, batch) => featureBytes([conv.outChannels, ...conv.outputShape(spatial(input))], batch),
  };
}
