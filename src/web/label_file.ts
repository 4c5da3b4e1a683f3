/**
 * The label map as the .nii.gz file the Save button gives: uint8 voxels on the input's grid, with the
 * input's header (qform/sform codes, units, description), as `pspseg predict` writes it.
 */
import { gzipSync } from 'fflate';
import { encodeNifti } from '../io/nifti_codec.js';
import type { Volume } from '../io/volume.js';

/** `<case>_seg.nii.gz` */
export function labelFileName(caseId: string): string {
  return `${caseId}_seg.nii.gz`;
}

/** The uncompressed NIfTI file (NiiVue reads it as the overlay). */
export function labelNiftiBytes(label: Volume, name: string): Uint8Array {
  const parts = encodeNifti(label, { datatype: 'uint8' }, name);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** gzip level 6: label maps are mostly zeros, and the file is made once per click. */
export function labelNiftiGz(label: Volume, name: string): Uint8Array {
  return gzipSync(labelNiftiBytes(label, name), { level: 6 });
}
