/**
 * Checking a plan, stored or in memory, against the schema, with errors that name the field (plans are
 * edited by hand). No file access: a plan inside an ONNX model file is checked the same way.
 */
import type { z } from 'zod';
import type { AxisName } from '../common/axes.js';
import { PLAN_TRIPLE_FIELDS, planFromStored } from '../common/plan_axes.js';
import { type Plan, planSchema } from './plan_schema.js';

export class PlanFileError extends Error {
  constructor(readonly path: string, message: string) { super(`${path}: ${message}`); this.name = 'PlanFileError'; }
}

/**
 * "channels[0].intensity.mean" for the zod path ['channels', 0, 'intensity', 'mean']; a triple of a
 * file with named axes is named by axis: "patchSize.y".
 */
function fieldName(path: readonly (string | number)[], axisNames?: readonly AxisName[]): string {
  return path.reduce<string>((acc, k, i) => {
    if (typeof k === 'number') {
      const named = axisNames && i === 1 && (PLAN_TRIPLE_FIELDS as readonly unknown[]).includes(path[0]);
      return named ? `${acc}.${axisNames[k]}` : `${acc}[${k}]`;
    }
    return acc ? `${acc}.${k}` : k;
  }, '') || 'plan';
}

function valueAt(raw: unknown, path: readonly (string | number)[]): unknown {
  return path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined), raw);
}

/** Type errors in the same words as the schema's own messages. */
const typeErrors: z.ZodErrorMap = (issue, ctx) => {
  if (issue.code !== 'invalid_type') return { message: ctx.defaultError };
  if (issue.received === 'undefined') return { message: 'is missing' };
  const what: Record<string, string> = { number: 'a number', string: 'a string', boolean: 'true or false', object: 'an object', array: 'an array' };
  return { message: `must be ${what[issue.expected] ?? issue.expected}` };
};

/**
 * Checks a plan against the schema, in either stored form (named axes, or arrays in network order)
 * or in memory; returns it typed, or throws PlanFileError naming the first bad field.
 */
export function validatePlan(stored: unknown, path = '<plan>'): Plan {
  const { raw, axisNames, problem } = planFromStored(stored);
  if (problem) throw new PlanFileError(path, `${problem.field} ${problem.message}`);
  const r = planSchema.safeParse(raw, { errorMap: typeErrors });
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const value = valueAt(raw, issue.path);
  const found = value === undefined || typeof value === 'object' ? '' : `, found ${JSON.stringify(value)}`;
  throw new PlanFileError(path, `${fieldName(issue.path, axisNames)} ${issue.message}${found}`);
}
