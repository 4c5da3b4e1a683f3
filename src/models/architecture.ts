/**
 * A network's architecture as plain data: from it the network is rebuilt exactly, including which
 * PRM blocks are active, masked or deleted, so a pruned model's weights load without knowing how it
 * was pruned. Saved as JSON beside every checkpoint (architecture_file.ts), validated with zod.
 */
import { z } from 'zod';
import { BLOCK_STATES, type BlockState } from './blocks/block_state.js';
import { BRANCH_KERNELS, type BranchCount, PSP_VARIANTS, PSP_VARIANT_NAMES, type PspVariant } from './psp_variants.js';
import type { Triple } from './shapes.js';

export const ARCHITECTURE_FORMAT = 'pspseg-architecture';
export const ARCHITECTURE_VERSION = 1;

const posInt = z.number().int().positive();
const triple = z.tuple([posInt, posInt, posInt]);
const oddTriple = triple.refine((t) => t.every((k) => k % 2 === 1), { message: 'kernel sizes must be odd' });
const header = { format: z.literal(ARCHITECTURE_FORMAT), version: z.literal(ARCHITECTURE_VERSION) };

const pspSchema = z.object({
  ...header,
  kind: z.literal('psp'),
  /** The variant it was built from (a label; the fields below are what counts), null when custom. */
  variant: z.enum(PSP_VARIANT_NAMES).nullable(),
  inChannels: posInt,
  classes: posInt,
  /** Channels per stage, stage 0 first; the last stage is the bottleneck. */
  channels: z.array(posInt).min(2),
  /** One efficient block per kernel in every PRM. */
  kernels: z.array(oddTriple).min(1),
  /** Hidden channels of an efficient block: floor(C * ratio). */
  ratio: z.number().positive(),
  deepSupervision: z.boolean(),
  /** Affine InstanceNorm. The authors' network (and its reference parameter counts) has none. */
  normAffine: z.boolean(),
  /** State of every block of every PRM, by PRM name (enc1..enc{S-1}, dec1..dec{S-2}); missing PRMs are all active. */
  blocks: z.record(z.string(), z.array(z.enum(BLOCK_STATES as [BlockState, ...BlockState[]]))).default({}),
}).strict();

const plainSchema = z.object({
  ...header,
  kind: z.literal('plain'),
  inChannels: posInt,
  classes: posInt,
  channels: z.array(posInt).min(1),
  /** Conv kernel per stage. */
  kernels: z.array(oddTriple).min(1),
  /** Stride of each stage's first conv (stage 0: [1, 1, 1]); the decoder's transposed convs undo them. */
  strides: z.array(triple).min(1),
  convsPerStage: posInt,
  deepSupervision: z.boolean(),
  normAffine: z.boolean(),
}).strict();

export const architectureSchema = z.discriminatedUnion('kind', [pspSchema, plainSchema]).superRefine((a, ctx) => {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
  if (a.kind === 'psp') {
    const S = a.channels.length;
    const names = pspPrmNames(S);
    for (const [name, states] of Object.entries(a.blocks)) {
      if (!names.includes(name)) issue(['blocks', name], `no PRM named '${name}' in a ${S}-stage network (PRMs: ${names.join(', ')})`);
      else if (states.length !== a.kernels.length) issue(['blocks', name], `has ${states.length} block states for ${a.kernels.length} kernels`);
    }
    a.channels.forEach((c, i) => {
      if (i > 0 && Math.floor(c * a.ratio) < 1) issue(['ratio'], `floor(${c} * ${a.ratio}) = 0 hidden channels at stage ${i}`);
    });
  } else {
    const n = a.channels.length;
    if (a.kernels.length !== n) issue(['kernels'], `has ${a.kernels.length} entries for ${n} stages`);
    if (a.strides.length !== n) issue(['strides'], `has ${a.strides.length} entries for ${n} stages`);
  }
});

export type PspArchitecture = z.infer<typeof pspSchema>;
export type PlainArchitecture = z.infer<typeof plainSchema>;
export type Architecture = PspArchitecture | PlainArchitecture;

/** The PRMs of an S-stage PSP-Seg network, in execution order. */
export function pspPrmNames(stages: number): string[] {
  const enc = Array.from({ length: stages - 1 }, (_, i) => `enc${i + 1}`);
  const dec = Array.from({ length: Math.max(stages - 2, 0) }, (_, i) => `dec${stages - 2 - i}`);
  return [...enc, ...dec];
}

export interface PspOptions {
  variant?: PspVariant;
  branches?: BranchCount;
  ratio?: number;
  channels?: number[];
  kernels?: Triple[];
  inChannels?: number;
  classes?: number;
  deepSupervision?: boolean;
  normAffine?: boolean;
}

/**
 * A PSP-Seg architecture: a variant (default S) with any of its settings overridden. The variant
 * label is kept only while channels, kernels and ratio are the variant's own.
 */
export function pspArchitecture(o: PspOptions = {}): PspArchitecture {
  const base = PSP_VARIANTS[o.variant ?? 'S'];
  const channels = o.channels ?? base.channels;
  const kernels = o.kernels ?? BRANCH_KERNELS[o.branches ?? base.branches];
  const ratio = o.ratio ?? base.ratio;
  const same = JSON.stringify([channels, kernels, ratio]) === JSON.stringify([base.channels, BRANCH_KERNELS[base.branches], base.ratio]);
  return validateArchitecture({
    format: ARCHITECTURE_FORMAT, version: ARCHITECTURE_VERSION, kind: 'psp', variant: same ? (o.variant ?? 'S') : null,
    inChannels: o.inChannels ?? 1, classes: o.classes ?? 2, channels, kernels, ratio,
    deepSupervision: o.deepSupervision ?? true, normAffine: o.normAffine ?? false, blocks: {},
  }) as PspArchitecture;
}

export class ArchitectureError extends Error {
  constructor(message: string) { super(message); this.name = 'ArchitectureError'; }
}

/** Checks raw data against the schema; errors list every problem with its field path. */
export function validateArchitecture(raw: unknown, source = 'architecture'): Architecture {
  const r = architectureSchema.safeParse(raw);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
  throw new ArchitectureError(`${source}: invalid architecture: ${problems.join('; ')}`);
}
