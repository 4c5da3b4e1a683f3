/**
 * Memory guards of planning and preprocessing, per case: from each case's size and spacing (as the
 * check read them) and the plan's target spacing, the estimate of memory_estimate.ts; the largest case
 * must fit alone, and workers run only as many cases at once as fit together.
 */
import { formatXYZ } from '../common/axes.js';
import { type Shape3, type Spacing3, permuteTriple, reversed3, voxelCount } from '../../util/triple.js';
import { MEMORY_MODEL, fingerprintMemoryBytes, preprocessMemoryBytes } from '../preprocess/memory_estimate.js';
import { computeNewShape } from '../preprocess/resample.js';
import { availableMemory, concurrencyFor, formatBytes, guardMemory } from '../../util/memory.js';
import type { Plan } from './plan_schema.js';

/** A case's first image as read: size and spacing per NIfTI axis (x, y, z). */
export interface CaseGeometry { id: string; shape: Shape3; spacing: Spacing3 }

export interface CaseMemory { id: string; bytes: number; description: string }

/** The preprocessing estimate of each case under `plan` (crop not counted: an upper bound). */
export function preprocessNeeds(plan: Pick<Plan, 'targetSpacing' | 'transposeForward' | 'transposeBackward' | 'channels'>, cases: readonly CaseGeometry[]): CaseMemory[] {
  const targetC = permuteTriple(plan.targetSpacing, plan.transposeBackward); // network order -> C order
  const channels = plan.channels.length;
  return cases.map((c) => {
    const inC = reversed3(c.shape);
    const outC = computeNewShape(inC, reversed3(c.spacing), targetC);
    return {
      id: c.id,
      bytes: preprocessMemoryBytes(voxelCount(inC), voxelCount(outC), channels),
      description: `preprocessing case ${c.id} (${channels} channel(s), ${formatXYZ(inC)} voxels -> ${formatXYZ(outC)} at ${formatXYZ(targetC, undefined, 'mm')})`,
    };
  });
}

export function fingerprintNeeds(cases: readonly CaseGeometry[], channels: number): CaseMemory[] {
  return cases.map((c) => ({
    id: c.id,
    bytes: fingerprintMemoryBytes(voxelCount(c.shape), channels),
    description: `reading case ${c.id} for the fingerprint (${channels} channel(s), ${formatXYZ(reversed3(c.shape))} voxels)`,
  }));
}

export interface MemoryPlan {
  /** Cases at once. */
  workers: number;
  /** Set when fewer workers than asked for: why. */
  note?: string;
}

/**
 * Refuses (MemoryGuardError) when the largest case does not fit alone; else the number of cases that
 * fit at once, at most `wanted`.
 */
export function guardCaseMemory(needs: readonly CaseMemory[], wanted: number, remedies: readonly string[], available = availableMemory()): MemoryPlan {
  if (needs.length === 0) return { workers: wanted };
  const largest = needs.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  guardMemory({ what: largest.description, bytes: largest.bytes, remedies }, available);
  const workers = concurrencyFor(needs.map((n) => n.bytes), wanted, available, MEMORY_MODEL.perWorker);
  if (workers >= Math.min(wanted, needs.length)) return { workers };
  return {
    workers,
    note: `${workers} case(s) at a time instead of ${wanted}: the largest (${largest.id}) needs about ${formatBytes(largest.bytes)}, ${formatBytes(available)} is available`,
  };
}
