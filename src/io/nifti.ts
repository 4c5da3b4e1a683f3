/**
 * Reading and writing NIfTI-1 / NIfTI-2 image files (.nii, .nii.gz) as Volumes: the files and gzip
 * around nifti_codec.ts' bytes.
 */
import type { Volume } from './volume.js';
import { NiftiError } from './nifti_error.js';
import { type WriteNiftiOptions, decodeNifti, encodeNifti } from './nifti_codec.js';
import { type NiftiFileBytes, readNiftiFile, readNiftiFileSync, wantsGzip, writeNiftiFileAtomic, writeNiftiFileAtomicSync } from './nifti_file.js';

export { NiftiError } from './nifti_error.js';
export type { NiftiHeader } from './nifti_header.js';
export { type WriteNiftiOptions, decodeNifti, encodeNifti } from './nifti_codec.js';

/** Reads a .nii or .nii.gz file (NIfTI-1 or -2, either byte order). Throws NiftiError naming the file. */
export async function readNifti(path: string): Promise<Volume> {
  return decodeFile(await readNiftiFile(path), path);
}

export function readNiftiSync(path: string): Volume {
  return decodeFile(readNiftiFileSync(path), path);
}

/** Decodes; when a .gz file held no gzip data and does not decode, says that this is the likely cause. */
function decodeFile(file: NiftiFileBytes, path: string): Volume {
  try {
    return decodeNifti(file.bytes, path);
  } catch (err) {
    if (!(err instanceof NiftiError) || file.gzipped || !wantsGzip(path)) throw err;
    throw new NiftiError(path, `not a gzip file, although its name ends in .gz (read as uncompressed NIfTI instead: ${err.reason})`, { cause: err });
  }
}

/** Writes `volume` to `path` (gzipped when it ends in .gz), atomically. Throws NiftiError naming the file. */
export async function writeNifti(path: string, volume: Volume, options: WriteNiftiOptions = {}): Promise<void> {
  const parts = encodeNifti(volume, options, path);
  await writeNiftiFileAtomic(path, parts, wantsGzip(path) ? options.compressionLevel ?? 1 : undefined);
}

export function writeNiftiSync(path: string, volume: Volume, options: WriteNiftiOptions = {}): void {
  const parts = encodeNifti(volume, options, path);
  writeNiftiFileAtomicSync(path, parts, wantsGzip(path) ? options.compressionLevel ?? 1 : undefined);
}

