/**
 * Write a file so that readers (and a resumed run) only ever see the complete old or the complete new
 * content: write to a unique temporary name in the same directory, flush, then rename over the target.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';

export const TEMP_MARKER = '.tmp-';

export function tempPathFor(path: string): string {
  return `${path}${TEMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`;
}

const asBuffer = (c: Uint8Array | string): Uint8Array => (typeof c === 'string' ? Buffer.from(c) : c);

export async function writeFileAtomic(path: string, chunks: readonly (Uint8Array | string)[]): Promise<void> {
  const tmp = tempPathFor(path);
  const fh = await open(tmp, 'w');
  try {
    for (const c of chunks) {
      const buf = asBuffer(c);
      for (let off = 0; off < buf.byteLength;) off += (await fh.write(buf, off, buf.byteLength - off)).bytesWritten;
    }
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** The synchronous twin, for callers that cannot await (e.g. saving weights inside a training step). */
export function writeFileAtomicSync(path: string, chunks: readonly (Uint8Array | string)[]): void {
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, 'w');
  try {
    for (const c of chunks) {
      const buf = asBuffer(c);
      for (let off = 0; off < buf.byteLength;) off += writeSync(fd, buf, off, buf.byteLength - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (err) {
    try { closeSync(fd); } catch { /* already closed */ }
    rmSync(tmp, { force: true });
    throw err;
  }
}
