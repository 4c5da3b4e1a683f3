/**
 * Writing NumPy .npz files (what np.savez / np.savez_compressed write): a ZIP archive holding one .npy
 * file per array. Here: one float16 array per file, deflated or stored, in a plain (non-ZIP64) archive,
 * so members must stay under 4 GiB. .npy format 1.0: magic, version, a little-endian uint16 header
 * length, a Python-literal header dict padded with spaces to a 64-byte boundary, then C-order data.
 */
import { promisify } from 'node:util';
import { deflateRaw } from 'node:zlib';
import { writeFileAtomic } from '../util/atomic_write.js';
import { crc32 } from '../util/crc32.js';

const deflateRawAsync = promisify(deflateRaw);

/** CRC-32 (ZIP / zlib polynomial). */
export type NpyDescr = '<f2' | '<f4' | '|u1';

/** The .npy header (magic to the newline) for a C-order array. */
export function npyHeader(descr: NpyDescr, shape: readonly number[]): Uint8Array {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  const fixed = 10; // magic (6) + version (2) + header length (2)
  const total = Math.ceil((fixed + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - fixed - 1, ' ') + '\n';
  if (dict.length > 0xffff) throw new Error('npy header too long');
  const out = Buffer.alloc(total);
  out.write('\x93NUMPY', 0, 'latin1');
  out[6] = 1; out[7] = 0;
  out.writeUInt16LE(dict.length, 8);
  out.write(dict, fixed, 'latin1');
  return out;
}

export interface NpzMember {
  /** Array name; the member file is `<name>.npy`, as np.savez names it. */
  name: string;
  descr: NpyDescr;
  shape: number[];
  /** Little-endian element bytes, C order. */
  data: Uint8Array;
}

/** The .npz bytes. `compress` deflates every member (np.savez_compressed); otherwise they are stored. */
export async function encodeNpz(members: readonly NpzMember[], compress = true): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const expected = m.shape.reduce((a, b) => a * b, 1) * (m.descr === '<f2' ? 2 : m.descr === '<f4' ? 4 : 1);
    if (m.data.byteLength !== expected) throw new Error(`npz member ${m.name}: ${m.data.byteLength} bytes for shape [${m.shape}] ${m.descr}`);
    const raw = Buffer.concat([npyHeader(m.descr, m.shape), m.data]);
    const body = compress ? await deflateRawAsync(raw, { level: 6 }) : raw;
    if (raw.length > 0xfffffffe || offset + body.length > 0xfffffffe) throw new Error(`npz member ${m.name}: over 4 GiB (ZIP64 is not supported)`);
    const name = Buffer.from(`${m.name}.npy`, 'utf8');
    const crc = crc32(raw);
    const method = compress ? 8 : 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10); // time
    local.writeUInt16LE(0x21, 12); // date: 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4); // made by
    entry.writeUInt16LE(20, 6); // needed
    entry.writeUInt16LE(0, 8);
    entry.writeUInt16LE(method, 10);
    entry.writeUInt16LE(0, 12);
    entry.writeUInt16LE(0x21, 14);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(body.length, 20);
    entry.writeUInt32LE(raw.length, 24);
    entry.writeUInt16LE(name.length, 28);
    // extra, comment, disk, internal and external attributes: 0
    entry.writeUInt32LE(offset, 42);
    central.push(entry, name);
    chunks.push(local, name, body);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  chunks.push(cd, end);
  return chunks;
}

export async function writeNpz(path: string, members: readonly NpzMember[], compress = true): Promise<void> {
  await writeFileAtomic(path, await encodeNpz(members, compress));
}
