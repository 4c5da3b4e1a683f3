/**
 * The `__metadata__` strings of a safetensors file, read from its header alone: a checkpoint's state
 * file carries the trainer's state (with the pruning state) there, and the report needs no tensors.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** Larger headers are not metadata we wrote. */
const MAX_HEADER_BYTES = 256 * 1024 * 1024;

export function readSafetensorsMetadata(path: string): Record<string, string> {
  const fd = openSync(path, 'r');
  try {
    const len = Buffer.alloc(8);
    if (readSync(fd, len, 0, 8, 0) !== 8) throw new Error(`${path}: too short to be a safetensors file`);
    const n = Number(len.readBigUInt64LE(0));
    if (n > MAX_HEADER_BYTES) throw new Error(`${path}: header of ${n} bytes is implausibly large`);
    const header = Buffer.alloc(n);
    if (readSync(fd, header, 0, n, 8) !== n) throw new Error(`${path}: header length ${n} exceeds the file size`);
    let json: unknown;
    try { json = JSON.parse(header.toString('utf8')); } catch { throw new Error(`${path}: header is not valid JSON`); }
    const meta = (json as Record<string, unknown>)?.__metadata__;
    return meta && typeof meta === 'object' ? meta as Record<string, string> : {};
  } finally {
    closeSync(fd);
  }
}
