/**
 * Plan files: pretty-printed JSON written atomically, and a loader that checks every field against
 * the plan schema (plan_schema.ts) and names the file and the field in its errors (plans are meant
 * to be edited by hand).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { writeFileAtomic } from '../../util/atomic_write.js';
import { type Plan, planSchema } from './plan_schema.js';

export class PlanFileError extends Error {
  constructor(readonly path: string, message: string) { super(`${path}: ${message}`); this.name = 'PlanFileError'; }
}

export async function savePlan(path: string, plan: Plan): Promise<void> {
  validatePlan(plan, path); // never write a plan that could not be read back
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, [`${JSON.stringify(plan, null, 2)}\n`]);
}

export async function loadPlan(path: string): Promise<Plan> {
  let text: string;
  try { text = await readFile(path, 'utf8'); } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PlanFileError(path, code === 'ENOENT' ? 'plan file does not exist (run `pspseg plan` first)' : (err as Error).message);
  }
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (err) { throw new PlanFileError(path, `not valid JSON: ${(err as Error).message}`); }
  return validatePlan(raw, path);
}

/** "channels[0].intensity.mean" for the zod path ['channels', 0, 'intensity', 'mean']. */
function fieldName(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k), '') || 'plan';
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

/** Checks the structure of a plan against the schema; returns it typed, or throws PlanFileError naming the first bad field. */
export function validatePlan(raw: unknown, path = '<plan>'): Plan {
  const r = planSchema.safeParse(raw, { errorMap: typeErrors });
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const value = valueAt(raw, issue.path);
  const found = value === undefined || typeof value === 'object' ? '' : `, found ${JSON.stringify(value)}`;
  throw new PlanFileError(path, `${fieldName(issue.path)} ${issue.message}${found}`);
}
