/** Which patch sizes a network takes: every side a positive multiple of its total stride on that axis. */
import { type Triple, formatShape } from './shapes.js';

export class PatchSizeError extends Error {
  constructor(message: string, readonly patch: readonly number[], readonly stride: Triple) {
    super(message);
    this.name = 'PatchSizeError';
  }
}

/** The valid sizes closest to n on one axis (one when n is valid or below the stride, else the two neighbours). */
export function nearestValidSizes(n: number, stride: number): number[] {
  if (n <= stride) return [stride];
  const lo = Math.floor(n / stride) * stride;
  return lo === n ? [n] : [lo, lo + stride];
}

export function isValidPatch(patch: readonly number[], stride: Triple): boolean {
  return patch.length === 3 && patch.every((n, a) => Number.isInteger(n) && n > 0 && n % stride[a]! === 0);
}

/** Throws a PatchSizeError saying which sizes would work, per axis, when `patch` does not fit. */
export function checkPatchSize(patch: readonly number[], stride: Triple, network: string): void {
  if (patch.length !== 3) throw new PatchSizeError(`${network}: a patch needs 3 sides, got ${formatShape(patch)}`, patch, stride);
  if (isValidPatch(patch, stride)) return;
  const bad = patch.flatMap((n, a) => (Number.isInteger(n) && n > 0 && n % stride[a]! === 0 ? [] : [a]));
  const hints = bad.map((a) => `axis ${a}: ${patch[a]} -> ${nearestValidSizes(patch[a]!, stride[a]!).join(' or ')}`);
  throw new PatchSizeError(
    `${network} cannot take patch size ${formatShape(patch)}: every side must be a positive multiple of the network's total ` +
    `stride ${formatShape(stride)}; nearest valid sizes: ${hints.join('; ')}`, patch, stride);
}
