/** Reads one dataset case's files (case_volumes.ts checks and converts them). */
import { readNifti } from '../../io/nifti.js';
import { type CaseFiles, type LoadedCase, caseFromVolumes } from './case_volumes.js';

export { type CaseFiles, type LoadedCase, type NiftiGrid, caseFromVolumes, labelToInt8 } from './case_volumes.js';

/**
 * Errors name the file when there is one, never the case: every caller runs this as a task that names
 * the case (a worker pool's "preprocessing case X: ..."), or keeps the error with the case's id.
 */
export async function loadCase(c: CaseFiles, expectedChannels?: number): Promise<LoadedCase> {
  const vols = await Promise.all(c.images.map((p) => readNifti(p)));
  const label = c.label ? await readNifti(c.label) : undefined;
  return caseFromVolumes(c, vols, label, expectedChannels);
}
