/**
 * File-level plumbing for NIfTI: reading a file and undoing gzip (detected by its magic bytes, not
 * the name), and atomic writes (temp file in the target folder, then rename) with optional gzip.
 * All failures become NiftiError naming the path.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic, writeFileAtomicSync } from '../util/atomic_write.js';
import { promisify } from 'node:util';
import { gunzip, gunzipSync, gzip, gzipSync } from 'node:zlib';
import { NiftiError } from './nifti_error.js';
import { isGzip } from './nifti_codec.js';
import { missingFileReason } from '../util/missing_file.js';

const gunzipAsync = promisify(gunzip);
const gzipAsync = promisify(gzip);

/** 1 MiB output chunks: the 16 KiB default costs a thread-pool round trip per chunk (2x slower on 35 MB images). */
const GUNZIP_OPTIONS = { chunkSize: 1 << 20 };


function fileError(path: string, action: string, err: unknown): NiftiError {
  const code = (err as NodeJS.ErrnoException).code;
  // A dangling symbolic link is listed in its folder: name its missing target.
  const what = (code === 'ENOENT' || code === 'ELOOP') && action === 'read' ? missingFileReason(path)
    : code === 'ENOENT' ? 'file does not exist' : code === 'EISDIR' ? 'is a folder' : (err as Error).message;
  return new NiftiError(path, `cannot ${action}: ${what}`, { cause: err });
}

function gzipError(path: string, err: unknown): NiftiError {
  return new NiftiError(path, `corrupt or truncated gzip data (${(err as Error).message})`, { cause: err });
}

/** The file's bytes, decompressed when they are gzip data, and whether they were. */
export interface NiftiFileBytes { bytes: Uint8Array; gzipped: boolean }

/** The decompressed bytes of a .nii or .nii.gz file. zlib runs on the libuv pool, off the main thread. */
export async function readNiftiFile(path: string): Promise<NiftiFileBytes> {
  let raw: Buffer;
  try { raw = await readFile(path); } catch (err) { throw fileError(path, 'read', err); }
  if (!isGzip(raw)) return { bytes: raw, gzipped: false };
  try { return { bytes: await gunzipAsync(raw, GUNZIP_OPTIONS), gzipped: true }; } catch (err) { throw gzipError(path, err); }
}

export function readNiftiFileSync(path: string): NiftiFileBytes {
  let raw: Buffer;
  try { raw = readFileSync(path); } catch (err) { throw fileError(path, 'read', err); }
  if (!isGzip(raw)) return { bytes: raw, gzipped: false };
  try { return { bytes: gunzipSync(raw, GUNZIP_OPTIONS), gzipped: true }; } catch (err) { throw gzipError(path, err); }
}

export async function readNiftiBytes(path: string): Promise<Uint8Array> {
  return (await readNiftiFile(path)).bytes;
}

export function readNiftiBytesSync(path: string): Uint8Array {
  return readNiftiFileSync(path).bytes;
}

export function wantsGzip(path: string): boolean {
  return path.toLowerCase().endsWith('.gz');
}

/** Writes `parts` (gzipped when `level` is given) atomically (temp file beside `path`, then rename). */
export async function writeNiftiFileAtomic(path: string, parts: Uint8Array[], level?: number): Promise<void> {
  const content = level === undefined ? parts : [await gzipAsync(Buffer.concat(parts), { level })];
  try { await writeFileAtomic(path, content); } catch (err) { throw fileError(path, 'write', err); }
}

export function writeNiftiFileAtomicSync(path: string, parts: Uint8Array[], level?: number): void {
  const content = level === undefined ? parts : [gzipSync(Buffer.concat(parts), { level })];
  try { writeFileAtomicSync(path, content); } catch (err) { throw fileError(path, 'write', err); }
}
