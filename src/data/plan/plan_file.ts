/**
 * Plan files: pretty-printed JSON written atomically, and a loader that checks every field against
 * the plan schema (plan_schema.ts) and names the file and the field in its errors (plans are meant
 * to be edited by hand). Triples are stored with named axes (common/plan_axes.ts). A saved plan
 * records who wrote it and a hash of its content, so a hand-edited plan is never replaced silently.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { writeFileAtomic } from '../../util/atomic_write.js';
import { planToStored } from '../common/plan_axes.js';
import { shortHash } from '../common/short_hash.js';
import type { Plan } from './plan_schema.js';
import { PlanFileError, validatePlan } from './plan_validate.js';

export { PlanFileError, validatePlan } from './plan_validate.js';


/** Who wrote a plan file and the hash of what it wrote (stored as "generated"). */
export interface PlanProvenance { by: string; at: string; hash: string }

export interface SavePlanOptions {
  /** Replace a plan file that was edited by hand (it is kept as <name>.edited). Default: refuse. */
  replaceEdited?: boolean;
  /** Who writes it (default 'pspseg plan'). */
  by?: string;
}

/** The plan as its file holds it (labelled axes, provenance), as text. */
export function formatPlanFile(plan: Plan, by = 'pspseg plan'): string {
  const checked = validatePlan(plan); // never write a plan that could not be read back
  const generated: PlanProvenance = { by, at: new Date().toISOString(), hash: contentHash(checked) };
  return `${JSON.stringify({ ...planToStored(checked), generated }, null, 2)}\n`;
}

const contentHash = (plan: Plan): string => shortHash(plan);

export async function savePlan(path: string, plan: Plan, o: SavePlanOptions = {}): Promise<void> {
  validatePlan(plan, path);
  const text = formatPlanFile(plan, o.by);
  if (existsSync(path) && (await planFileStatus(path)) === 'edited') {
    if (!o.replaceEdited) {
      throw new PlanFileError(path, 'was edited by hand since pspseg wrote it; not replaced (--force replaces it and keeps the edited file as '
        + `${basename(path)}.edited; --out writes the new plan elsewhere)`);
    }
    await rename(path, `${path}.edited`);
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, [text]);
}

/**
 * 'generated': as pspseg wrote it (whitespace aside); 'edited': changed since, or not written by
 * pspseg; 'unknown': an older plan file without provenance, or one that does not parse.
 */
export async function planFileStatus(path: string): Promise<'generated' | 'edited' | 'unknown'> {
  let raw: unknown;
  try { raw = JSON.parse(await readFile(path, 'utf8')); } catch { return 'unknown'; }
  const generated = (raw as { generated?: PlanProvenance } | null)?.generated;
  if (!generated || typeof generated.hash !== 'string') return 'unknown';
  try { return contentHash(validatePlan(raw, path)) === generated.hash ? 'generated' : 'edited'; } catch { return 'edited'; }
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
