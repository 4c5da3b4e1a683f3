/**
 * The preprocessed-case file (.pspcase): one file per case so a single rename publishes it.
 *
 *   bytes 0-7    magic "PSPCASE1"
 *   bytes 8-11   uint32 little-endian n = length of the JSON header
 *   bytes 12-    n bytes UTF-8 JSON: { format, version, properties, sections }, zero padding to 64
 *   sections     raw little-endian arrays, each starting at a multiple of 64 bytes:
 *                'image' float32 [channels, ...shape] C order; 'label' int8 [...shape] (-1 = outside
 *                the body); 'locations/<class>' uint32 flat indices into the arrays (sorted).
 *
 * Each section entry gives { name, dtype, offset, length (elements) }. Loading is one read; the arrays
 * are views on the file buffer (no parsing, no copy).
 */
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../util/atomic_write.js';
import type { CaseProperties, PreprocessedCase } from './preprocess_case.js';
import { voxelCount } from '../../util/triple.js';

export const CASE_FILE_EXTENSION = '.pspcase';
const MAGIC = 'PSPCASE1';
const ALIGN = 64;
const PREFIX = 12;

type Dtype = 'float32' | 'int8' | 'uint32';
export interface CaseSection { name: string; dtype: Dtype; offset: number; length: number }
export interface CaseFileHeader { format: 'pspseg-case'; version: 1; properties: CaseProperties; sections: CaseSection[] }

const BYTES: Record<Dtype, number> = { float32: 4, int8: 1, uint32: 4 };

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('case files assume a little-endian host');

const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

function bytesOf(a: Float32Array | Int8Array | Uint32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Serialise a case into the chunks of its file. */
export function encodeCase(c: PreprocessedCase): Uint8Array[] {
  const arrays: { name: string; dtype: Dtype; data: Float32Array | Int8Array | Uint32Array }[] = [];
  c.images.forEach((im, ch) => arrays.push({ name: ch === 0 ? 'image' : `image+${ch}`, dtype: 'float32', data: im }));
  if (c.label) arrays.push({ name: 'label', dtype: 'int8', data: c.label });
  for (const [cls, locs] of [...c.classLocations].sort((a, b) => a[0] - b[0])) arrays.push({ name: `locations/${cls}`, dtype: 'uint32', data: locs });
  // the image channels are stored back to back as one section
  const sections: CaseSection[] = [];
  const layout = (headerLen: number): void => {
    sections.length = 0;
    let off = align(PREFIX + headerLen);
    for (const a of arrays) {
      if (a.name.startsWith('image+')) { sections[0]!.length += a.data.length; off += a.data.byteLength; continue; }
      off = align(off);
      sections.push({ name: a.name, dtype: a.dtype, offset: off, length: a.data.length });
      off += a.data.byteLength;
    }
  };
  // offsets depend on the header length, which depends on the offsets: iterate to a fixed point
  let json = '', len = 0;
  for (let k = 0; k < 5; k++) {
    layout(len);
    json = JSON.stringify({ format: 'pspseg-case', version: 1, properties: c.properties, sections } satisfies CaseFileHeader);
    const n = Buffer.byteLength(json);
    if (n === len) break;
    len = n;
  }
  const head = Buffer.alloc(align(PREFIX + len));
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(len, 8);
  head.write(json, PREFIX, 'utf8');
  const chunks: Uint8Array[] = [head];
  let pos = head.length;
  for (const a of arrays) {
    const target = a.name.startsWith('image+') ? pos : align(pos);
    if (target > pos) chunks.push(new Uint8Array(target - pos));
    chunks.push(bytesOf(a.data));
    pos = target + a.data.byteLength;
  }
  return chunks;
}

export async function writeCaseFile(path: string, c: PreprocessedCase): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, encodeCase(c));
}

function parseHeader(buf: Uint8Array, path: string, fileSize: number): CaseFileHeader {
  if (buf.length < PREFIX || Buffer.from(buf.subarray(0, 8)).toString('latin1') !== MAGIC) throw new Error(`${path}: not a pspseg case file`);
  const len = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).readUInt32LE(8);
  if (PREFIX + len > buf.length) throw new Error(`${path}: truncated header`);
  const h = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + PREFIX, len).toString('utf8')) as CaseFileHeader;
  if (h.format !== 'pspseg-case' || h.version !== 1) throw new Error(`${path}: unsupported case file version ${String(h.version)}`);
  for (const s of h.sections) {
    if (s.offset % ALIGN || s.offset + s.length * BYTES[s.dtype] > fileSize) throw new Error(`${path}: section ${s.name} lies outside the file (truncated?)`);
  }
  return h;
}

/** Only the header (properties, plan hash): cheap, for resume checks and listings. */
export async function readCaseHeader(path: string): Promise<CaseFileHeader> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const prefix = Buffer.alloc(PREFIX);
    await fh.read(prefix, 0, PREFIX, 0);
    const len = prefix.readUInt32LE(8);
    if (PREFIX + len > size) throw new Error(`${path}: truncated header`);
    const buf = Buffer.alloc(PREFIX + len);
    await fh.read(buf, 0, buf.length, 0);
    return parseHeader(buf, path, size);
  } finally {
    await fh.close();
  }
}

export async function readCaseFile(path: string): Promise<PreprocessedCase> {
  let buf: Uint8Array = await readFile(path);
  if (buf.byteOffset % ALIGN) buf = new Uint8Array(buf); // small files come from Node's pool, unaligned
  const h = parseHeader(buf, path, buf.length);
  const view = <T>(s: CaseSection, C: new (b: ArrayBuffer, o: number, n: number) => T): T => new C(buf.buffer as ArrayBuffer, buf.byteOffset + s.offset, s.length);
  const p = h.properties;
  const n = voxelCount(p.shape);
  const out: PreprocessedCase = { properties: p, images: [], classLocations: new Map() };
  for (const s of h.sections) {
    if (s.name === 'image') {
      const all = view(s, Float32Array);
      if (all.length !== n * p.channels) throw new Error(`${path}: image section has ${all.length} values, expected ${n * p.channels}`);
      for (let ch = 0; ch < p.channels; ch++) out.images.push(all.subarray(ch * n, (ch + 1) * n));
    } else if (s.name === 'label') {
      out.label = view(s, Int8Array);
    } else if (s.name.startsWith('locations/')) {
      out.classLocations.set(Number(s.name.slice('locations/'.length)), view(s, Uint32Array));
    }
  }
  return out;
}
