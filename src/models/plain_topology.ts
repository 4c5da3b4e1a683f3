/**
 * nnU-Net v2's network topology rules (ExperimentPlanner + get_pool_and_conv_props), re-derived:
 * from the voxel spacing and the patch size, which axes each stage pools, the conv kernel per stage,
 * and the features per stage (32 doubling, capped at 320).
 *
 * Pooling: at each step the axes whose current size is >= 2 * 4 voxels are candidates; of those, only
 * axes whose current spacing is within 2x of the finest candidate are pooled (anisotropy rule: a
 * coarse axis waits until the others have caught up); one axis alone is pooled only while its size is
 * >= 3 * 4. Kernels: an axis gets kernel 3 once its spacing is within 2x of the finest spacing, and
 * keeps it; before that it is 1 (e.g. (1, 3, 3) on thick slices). The bottleneck conv is 3x3x3.
 */
import type { Plan } from '../data/plan/plan_schema.js';
import { type PlainArchitecture, ARCHITECTURE_FORMAT, ARCHITECTURE_VERSION, validateArchitecture } from './architecture.js';
import { type Triple, formatShape } from './shapes.js';

export interface PlainTopology {
  /** Stride of each stage's first conv; stage 0 is [1, 1, 1]. */
  strides: Triple[];
  kernels: Triple[];
  features: number[];
  poolsPerAxis: Triple;
  /** Every patch side must be a multiple of this (2 ** pools per axis). */
  divisibleBy: Triple;
  /** The patch rounded up to a multiple of `divisibleBy` (nnU-Net's pad_shape); equal to the input when it fits. */
  patchSize: Triple;
}

export interface TopologyOptions {
  /** Smallest feature-map side in the bottleneck (nnU-Net: 4). */
  minFeatureMapSize?: number;
  maxPoolsPerAxis?: number;
  baseFeatures?: number;
  maxFeatures?: number;
}

export function plainTopology(spacing: Triple, patch: Triple, o: TopologyOptions = {}): PlainTopology {
  const minSize = o.minFeatureMapSize ?? 4, maxPools = o.maxPoolsPerAxis ?? 999;
  const base = o.baseFeatures ?? 32, maxFeatures = o.maxFeatures ?? 320;
  const sp = [...spacing], size = [...patch];
  const pools = [0, 0, 0];
  const kernel = [1, 1, 1];
  const strides: Triple[] = [[1, 1, 1]];
  const kernels: Triple[] = [];
  for (;;) {
    let axes = [0, 1, 2].filter((a) => size[a]! >= 2 * minSize);
    if (axes.length === 0) break;
    const finest = Math.min(...axes.map((a) => sp[a]!));
    axes = axes.filter((a) => sp[a]! / finest < 2).filter((a) => pools[a]! < maxPools);
    if (axes.length === 0) break;
    if (axes.length === 1 && size[axes[0]!]! < 3 * minSize) break;
    const finestAll = Math.min(...sp);
    for (let d = 0; d < 3; d++) if (kernel[d] !== 3 && sp[d]! / finestAll < 2) kernel[d] = 3;
    const stride: Triple = [1, 1, 1];
    for (const a of axes) {
      stride[a] = 2;
      pools[a]! += 1;
      sp[a]! *= 2;
      size[a] = Math.ceil(size[a]! / 2);
    }
    strides.push(stride);
    kernels.push([...kernel] as Triple);
  }
  kernels.push([3, 3, 3]);
  const divisibleBy = pools.map((p) => 2 ** p) as Triple;
  return {
    strides, kernels,
    features: strides.map((_, s) => Math.min(base * 2 ** s, maxFeatures)),
    poolsPerAxis: pools as Triple,
    divisibleBy,
    patchSize: patch.map((n, a) => Math.ceil(n / divisibleBy[a]!) * divisibleBy[a]!) as Triple,
  };
}

export interface PlainOptions {
  inChannels?: number;
  classes?: number;
  deepSupervision?: boolean;
  /** Override the topology's features per stage (same count). */
  channels?: number[];
  convsPerStage?: number;
}

export function plainArchitecture(t: Pick<PlainTopology, 'strides' | 'kernels' | 'features'>, o: PlainOptions = {}): PlainArchitecture {
  const channels = o.channels ?? t.features;
  if (channels.length !== t.strides.length)
    throw new Error(`PlainUNet: ${channels.length} features for ${t.strides.length} stages (${formatShape(channels)})`);
  return validateArchitecture({
    format: ARCHITECTURE_FORMAT, version: ARCHITECTURE_VERSION, kind: 'plain',
    inChannels: o.inChannels ?? 1, classes: o.classes ?? 2, channels, kernels: t.kernels, strides: t.strides,
    convsPerStage: o.convsPerStage ?? 2, deepSupervision: o.deepSupervision ?? true, normAffine: true,
  }) as PlainArchitecture;
}

/** nnU-Net's isotropic topology for a stage count: stride 2 on every axis, kernels 3, features 32 doubling to 320. */
export function plainIsotropic(stages: number, o: PlainOptions = {}): PlainArchitecture {
  const strides = Array.from({ length: stages }, (_, s): Triple => (s === 0 ? [1, 1, 1] : [2, 2, 2]));
  return plainArchitecture({ strides, kernels: strides.map((): Triple => [3, 3, 3]), features: strides.map((_, s) => Math.min(32 * 2 ** s, 320)) }, o);
}

/**
 * PlainUNet for a plan: topology from the plan's target spacing and patch size (network axis order),
 * input channels and classes from its channels and labels. The plan's patch must already fit the
 * topology; otherwise the error says what nnU-Net would pad it to.
 */
export function plainArchitectureFromPlan(plan: Pick<Plan, 'targetSpacing' | 'patchSize' | 'channels' | 'labels'>,
  o: Omit<PlainOptions, 'inChannels' | 'classes'> = {}, source = 'plan'): PlainArchitecture {
  const t = plainTopology(plan.targetSpacing as Triple, plan.patchSize as Triple);
  if (t.patchSize.some((n, a) => n !== plan.patchSize[a]))
    throw new Error(`${source}: patch size ${formatShape(plan.patchSize)} is not divisible by ${formatShape(t.divisibleBy)}, the total stride of ` +
      `nnU-Net's topology for it (pools per axis ${formatShape(t.poolsPerAxis)}); nnU-Net would use patch size ${formatShape(t.patchSize)}: ` +
      'set patchSize in the plan to that');
  return plainArchitecture(t, { ...o, inChannels: plan.channels.length, classes: plan.labels.length });
}
