/**
 * The plan as data: a zod schema that plan files are checked against (plan_file.ts) and from which
 * the Plan type is inferred, so the type and the checks cannot drift apart. Messages are written to
 * follow the field's name ("patchSize[0] must be ...").
 *
 * Axis convention: all triples are in the network's array axis order, i.e. C-order axes of the image
 * (reversed NIfTI axes: [z, y, x] for a plain file) permuted by transposeForward.
 */
import { z } from 'zod';
import { MAX_CLASS_VALUE } from '../common/labels.js';
import { isPermutation3 } from '../../util/triple.js';
import { NORMALIZATION_SCHEMES, type NormalizationScheme } from '../preprocess/normalize.js';

export const PLAN_VERSION = 1;

const finite = z.number().finite('must be a finite number');
const integer = z.number().int('must be an integer');
const positive = finite.positive('must be a positive number');
const positiveInt = integer.positive('must be a positive integer');
const triple = <T extends z.ZodTypeAny>(item: T) => z.tuple([item, item, item], { errorMap: () => ({ message: 'must be an array of 3 numbers' }) });
const order = z.union([z.literal(0), z.literal(1), z.literal(3)], { errorMap: () => ({ message: 'must be 0, 1 or 3' }) });
const orders = z.object({ order, orderZ: order });
/** Plans written before the label rule existed get nnU-Net's rule. */
const labelOrders = orders.extend({ rule: z.enum(['threshold', 'argmax'], { errorMap: () => ({ message: 'must be threshold or argmax' }) }).default('threshold') });

/** A statistic of a channel without foreground is NaN (null in JSON); only CT normalisation needs them all. */
const statistic = z.union([finite, z.nan(), z.null()], { errorMap: () => ({ message: 'must be a number, or null for a channel without foreground' }) })
  .transform((v) => v ?? NaN);
const STATISTICS = ['mean', 'std', 'median', 'min', 'max', 'percentile_00_5', 'percentile_99_5'] as const;

const channelSchema = z.object({
  name: z.string(),
  scheme: z.enum(NORMALIZATION_SCHEMES as [NormalizationScheme, ...NormalizationScheme[]], {
    errorMap: () => ({ message: `must be one of ${NORMALIZATION_SCHEMES.join(', ')}` }),
  }),
  /** z-score over the non-zero mask only (nnU-Net's use_mask_for_norm). */
  useMask: z.boolean(),
  /** Dataset foreground intensity statistics of the raw channel (CT normalisation uses them). */
  intensity: z.object(Object.fromEntries(STATISTICS.map((k) => [k, statistic])) as Record<(typeof STATISTICS)[number], typeof statistic>),
  /** 0.5th percentile of foreground intensity after normalisation (the TR loss' background fill). */
  foregroundPercentile005Normalized: statistic,
}).superRefine((c, ctx) => {
  if (c.scheme !== 'CT') return;
  for (const k of STATISTICS) {
    if (!Number.isFinite(c.intensity[k])) ctx.addIssue({ code: 'custom', path: ['intensity', k], message: 'must be a finite number (CT normalisation needs it)' });
  }
});

export const planSchema = z.object({
  version: z.literal(PLAN_VERSION, { errorMap: () => ({ message: `must be ${PLAN_VERSION} (this pspseg reads plan version ${PLAN_VERSION})` }) }),
  /** sourcesHash: of the dataset's files the plan was made from (dataset/case_sources.ts); absent in older plans. */
  dataset: z.object({ name: z.string(), root: z.string(), numCases: positiveInt, sourcesHash: z.string().optional() }),
  labels: z.array(z.object({
    name: z.string(),
    value: integer.min(0, `must be an integer in 0..${MAX_CLASS_VALUE}`).max(MAX_CLASS_VALUE, `must be an integer in 0..${MAX_CLASS_VALUE}`),
  })).min(2, 'must list at least background and one class'),
  channels: z.array(channelSchema).min(1, 'must list at least one channel'),
  transposeForward: triple(integer).refine(isPermutation3, 'must be a permutation of [0, 1, 2]'),
  transposeBackward: triple(integer),
  /** Voxel spacing (mm) every case is resampled to. */
  targetSpacing: triple(positive),
  /** Median over cases of the original spacing and of the shape after crop + resampling. */
  medianSpacing: triple(positive),
  medianShape: triple(positiveInt),
  medianRelativeSizeAfterCropping: finite,
  /** Orders for images, label maps and predicted probabilities; `orderZ` along a separate-z axis; the label rule (resample_label.ts). */
  resampling: z.object({ image: orders, label: labelOrders, probabilities: orders, anisotropyThreshold: positive }),
  foregroundSampling: z.object({
    samplesPerClass: positiveInt,
    minCoverage: finite.min(0, 'must be a number in [0, 1]').max(1, 'must be a number in [0, 1]'),
    seed: integer,
  }),
  patchSize: triple(positiveInt),
  batchSize: positiveInt,
  numPools: integer.min(0, 'must be a non-negative integer'),
  voxelBudget: positiveInt,
}).superRefine((p, ctx) => {
  if (!p.transposeBackward.every((b, a) => p.transposeForward[b] === a)) {
    ctx.addIssue({ code: 'custom', path: ['transposeBackward'], message: 'must be the inverse of transposeForward' });
  }
  const multiple = 2 ** p.numPools;
  p.patchSize.forEach((n, i) => {
    if (n % multiple) ctx.addIssue({ code: 'custom', path: ['patchSize', i], message: `must be a multiple of 2^numPools = ${multiple}` });
  });
});

export type Plan = z.output<typeof planSchema>;
export type ChannelPlan = Plan['channels'][number];
