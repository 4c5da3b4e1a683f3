/** Field readers shared by the MSD and nnU-Net v2 dataset.json parsers; each names the file and field on error. */
import { DatasetError } from './dataset_error.js';

export type Json = Record<string, unknown>;

export function objectField(file: string, json: Json, key: string): Json {
  const v = json[key];
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Object.keys(v).length === 0) {
    throw new DatasetError(file, `'${key}' must be a non-empty object`);
  }
  return v as Json;
}

export function optionalString(json: Json, key: string): string | undefined {
  return typeof json[key] === 'string' ? (json[key] as string) : undefined;
}

export function optionalCount(file: string, json: Json, key: string): number | undefined {
  const v = json[key];
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || (v as number) < 0) throw new DatasetError(file, `'${key}' must be a non-negative integer`);
  return v as number;
}

/** {"0": "T1", "1": "T2"} -> ['T1', 'T2'] (keys must be the channel indices 0..n-1). */
export function channelNamesField(file: string, json: Json, key: string): string[] {
  const obj = objectField(file, json, key);
  const entries = Object.entries(obj).map(([k, v]) => [Number(k), v] as const);
  entries.sort((a, b) => a[0] - b[0]);
  entries.forEach(([index, name], i) => {
    if (index !== i) throw new DatasetError(file, `'${key}' keys must be the channel indices 0..${entries.length - 1}`);
    if (typeof name !== 'string') throw new DatasetError(file, `'${key}.${index}' must be a string`);
  });
  return entries.map(([, name]) => name as string);
}

export function stripEnding(name: string, ending: string): string {
  return name.endsWith(ending) ? name.slice(0, -ending.length) : name;
}

/** '.nii.gz' or '.nii' as a file name ends (the dataset's file_ending when it does not declare one). */
export function niftiEnding(name: string): string {
  return name.toLowerCase().endsWith('.nii.gz') ? '.nii.gz' : name.toLowerCase().endsWith('.nii') ? '.nii' : '';
}
