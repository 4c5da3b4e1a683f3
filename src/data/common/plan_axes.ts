/**
 * How a plan's axes are stored (axes.ts has the convention). In memory a plan keeps its triples in
 * the network's array order with the permutation `transposeForward` (what every later step uses); in
 * plan.json, which users edit, each triple is an {"x", "y", "z"} object of the image's own voxel
 * axes, and the permutation is `networkAxes`, the image axis each network axis is (["z", "y", "x"]
 * for a plain C-order array). Older files (arrays in network order + transposeForward) still load.
 */
import { type AxisName, arrayAxisNames, isLabelledTriple, labelTriple, transposeFromAxisNames, unlabelTriple } from './axes.js';
import type { Axes3 } from '../../util/triple.js';

/** Plan fields holding one value per axis. */
export const PLAN_TRIPLE_FIELDS = ['targetSpacing', 'medianSpacing', 'medianShape', 'patchSize'] as const;

export const PLAN_AXES_NOTE = 'x, y, z are the image voxel axes as stored in the NIfTI files (dim[1], dim[2], dim[3]); '
  + 'networkAxes lists them in the order of the network\'s array axes';

type Json = Record<string, unknown>;

/** The stored form of an in-memory plan: labelled triples, networkAxes for the transpose. */
export function planToStored(plan: { transposeForward: Axes3 }): Json {
  const tf = plan.transposeForward;
  const out: Json = {};
  for (const [key, value] of Object.entries(plan)) {
    if (key === 'transposeForward') out.networkAxes = arrayAxisNames(tf);
    else if (key === 'transposeBackward') continue;
    else if ((PLAN_TRIPLE_FIELDS as readonly string[]).includes(key) && Array.isArray(value)) out[key] = labelTriple(value as number[], tf);
    else out[key] = value;
    if (key === 'version') out.axes = PLAN_AXES_NOTE;
  }
  return out;
}

export interface DecodedPlan {
  /** The plan in memory form, for the schema to check. */
  raw: unknown;
  /** Stored with named axes: schema errors at triple[i] are reported as triple.<axis>. */
  axisNames?: readonly AxisName[];
  /** A problem with the axes themselves (field name, message). */
  problem?: { field: string; message: string };
}

/** A stored plan (either form) to the memory form. */
export function planFromStored(raw: unknown): DecodedPlan {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || !('networkAxes' in raw)) return { raw };
  const stored = raw as Json;
  const names = stored.networkAxes;
  const tf = Array.isArray(names) ? transposeFromAxisNames(names) : undefined;
  if (!tf) return { raw, problem: { field: 'networkAxes', message: 'must list "x", "y" and "z", each once' } };
  const out: Json = {};
  for (const [key, value] of Object.entries(stored)) {
    if (key === 'axes') continue;
    if (key === 'networkAxes') {
      out.transposeForward = [...tf];
      out.transposeBackward = [0, 1, 2].map((a) => tf.indexOf(a));
      continue;
    }
    if ((PLAN_TRIPLE_FIELDS as readonly string[]).includes(key)) {
      if (!isLabelledTriple(value)) return { raw, problem: { field: key, message: 'must be {"x": .., "y": .., "z": ..} (values per image axis)' } };
      const extra = Object.keys(value).filter((k) => !['x', 'y', 'z'].includes(k));
      if (extra.length) return { raw, problem: { field: key, message: `has unknown axis ${JSON.stringify(extra[0])} (axes are x, y, z)` } };
      out[key] = unlabelTriple(value, tf);
      continue;
    }
    out[key] = value;
  }
  return { raw: out, axisNames: arrayAxisNames(tf) };
}
