/** Neural-network functions on tensors (the stateless half of `nn`). */
import { native } from './native.js';
import { Tensor } from './tensor.js';
import type { Triple } from '../util/triple.js';

/** One size for every axis, or one per axis. */
type SizeOrTriple = number | Triple;
export type Reduction = 'mean' | 'sum' | 'none';

export interface ConvOptions { stride?: SizeOrTriple; padding?: SizeOrTriple; dilation?: SizeOrTriple; groups?: number }

/** 3D convolution, input [N, C, D, H, W], weight [Cout, Cin/groups, kD, kH, kW]; anisotropic kernels allowed. */
export function conv3d(x: Tensor, weight: Tensor, bias: Tensor | null = null, o: ConvOptions = {}): Tensor {
  return new Tensor(native.conv3d(x.handle, weight.handle, bias?.handle, o.stride, o.padding, o.dilation, o.groups));
}

/** Transposed 3D convolution, weight [Cin, Cout/groups, kD, kH, kW]. */
export function convTranspose3d(
  x: Tensor, weight: Tensor, bias: Tensor | null = null, o: ConvOptions & { outputPadding?: SizeOrTriple } = {},
): Tensor {
  return new Tensor(native.convTranspose3d(x.handle, weight.handle, bias?.handle, o.stride, o.padding, o.outputPadding, o.groups, o.dilation));
}

export interface NormOptions {
  weight?: Tensor | null; bias?: Tensor | null; runningMean?: Tensor | null; runningVar?: Tensor | null;
  momentum?: number; eps?: number;
}

/** Instance normalisation over each sample's channel (per-sample statistics). */
export function instanceNorm(x: Tensor, o: NormOptions & { useInputStats?: boolean } = {}): Tensor {
  return new Tensor(native.instanceNorm(x.handle, o.weight?.handle, o.bias?.handle, o.runningMean?.handle, o.runningVar?.handle,
    o.useInputStats ?? true, o.momentum ?? 0.1, o.eps ?? 1e-5));
}

/** Batch normalisation; in training mode it updates the running statistics in place. */
export function batchNorm(x: Tensor, o: NormOptions & { training?: boolean } = {}): Tensor {
  return new Tensor(native.batchNorm(x.handle, o.weight?.handle, o.bias?.handle, o.runningMean?.handle, o.runningVar?.handle,
    o.training ?? true, o.momentum ?? 0.1, o.eps ?? 1e-5));
}

export const leakyRelu = (x: Tensor, slope = 0.01): Tensor => x.leakyRelu(slope);
export const relu = (x: Tensor): Tensor => x.relu();
export const sigmoid = (x: Tensor): Tensor => x.sigmoid();
export const softmax = (x: Tensor, dim: number): Tensor => x.softmax(dim);
export const logSoftmax = (x: Tensor, dim: number): Tensor => x.logSoftmax(dim);

export interface InterpolateOptions {
  size?: number | number[];
  scaleFactor?: number | number[];
  mode?: 'nearest' | 'linear' | 'bilinear' | 'trilinear';
  alignCorners?: boolean;
}

/** Resizes the spatial dims of [N, C, ...] by size or scale factor (torch.nn.functional.interpolate). */
export function interpolate(x: Tensor, o: InterpolateOptions): Tensor {
  const mode = o.mode ?? 'nearest';
  return new Tensor(native.interpolate(x.handle, o.size, o.scaleFactor, mode, mode === 'nearest' ? false : (o.alignCorners ?? false)));
}

export function avgPool3d(x: Tensor, kernel: SizeOrTriple, stride?: SizeOrTriple, padding: SizeOrTriple = 0): Tensor {
  return new Tensor(native.avgPool3d(x.handle, kernel, stride, padding));
}
export function maxPool3d(x: Tensor, kernel: SizeOrTriple, stride?: SizeOrTriple, padding: SizeOrTriple = 0): Tensor {
  return new Tensor(native.maxPool3d(x.handle, kernel, stride, padding));
}

/** Sampling grid [N, D, H, W, 3] for affine matrices theta [N, 3, 4]. */
export function affineGrid(theta: Tensor, size: [number, number, number, number, number], alignCorners = false): Tensor {
  return new Tensor(native.affineGrid(theta.handle, size, alignCorners));
}

export interface GridSampleOptions {
  mode?: 'bilinear' | 'nearest' | 'bicubic';
  paddingMode?: 'zeros' | 'border' | 'reflection';
  alignCorners?: boolean;
}

/** Samples x [N, C, D, H, W] at grid [N, d, h, w, 3] (x, y, z in [-1, 1]). */
export function gridSample(x: Tensor, grid: Tensor, o: GridSampleOptions = {}): Tensor {
  return new Tensor(native.gridSample(x.handle, grid.handle, o.mode ?? 'bilinear', o.paddingMode ?? 'zeros', o.alignCorners ?? false));
}

export interface CrossEntropyOptions { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction; labelSmoothing?: number }

/** Cross-entropy of logits [N, C, ...] against int64 class indices [N, ...]. */
export function crossEntropy(logits: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor {
  return new Tensor(native.crossEntropy(logits.handle, target.handle, o.weight?.handle, o.ignoreIndex ?? -100, o.reduction ?? 'mean',
    o.labelSmoothing ?? 0));
}

export function binaryCrossEntropyWithLogits(
  logits: Tensor, target: Tensor, o: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {},
): Tensor {
  return new Tensor(native.bceWithLogits(logits.handle, target.handle, o.weight?.handle, o.posWeight?.handle, o.reduction ?? 'mean'));
}

export function mseLoss(a: Tensor, b: Tensor, reduction: Reduction = 'mean'): Tensor {
  return new Tensor(native.mseLoss(a.handle, b.handle, reduction));
}

export function cosineSimilarity(a: Tensor, b: Tensor, dim = 1, eps = 1e-8): Tensor {
  return new Tensor(native.cosineSimilarity(a.handle, b.handle, dim, eps));
}

/** int64 class indices -> int64 one-hot with classes as the new last dim. */
export function oneHot(labels: Tensor, numClasses = -1): Tensor {
  return new Tensor(native.oneHot(labels.handle, numClasses));
}

export type PadMode = 'constant' | 'reflect' | 'replicate';
/** Pads trailing dims; `pads` lists (before, after) pairs starting from the last dim, as in torch. */
export function pad(x: Tensor, pads: number[], mode: PadMode = 'constant', value = 0): Tensor {
  return new Tensor(native.pad(x.handle, pads, mode, value));
}
