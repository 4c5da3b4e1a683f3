/**
 * safetensors (the public format): u64 little-endian header length, a JSON header mapping
 * each name to {dtype, shape, data_offsets} (plus optional "__metadata__" of strings), then
 * the raw little-endian data. Files written here load in PyTorch and vice versa.
 */
import { readFileSync } from 'node:fs';
import { type Tensor } from './tensor.js';
import { type DType, bytesPerElement } from './dtype.js';
import { fromBytes } from './create.js';
import { writeFileAtomicSync } from '../util/atomic_write.js';

const toSafetensors: Record<DType, string> = {
  float64: 'F64', float32: 'F32', float16: 'F16', bfloat16: 'BF16', int64: 'I64', int32: 'I32', int16: 'I16', int8: 'I8',
  uint8: 'U8', bool: 'BOOL',
};
const fromSafetensors = Object.fromEntries(Object.entries(toSafetensors).map(([k, v]) => [v, k as DType])) as Record<string, DType>;

export class SafetensorsError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'SafetensorsError';
  }
}

/** Writes tensors (sorted by name, as the reference implementation does) atomically. */
export function saveSafetensors(path: string, tensors: Map<string, Tensor>, metadata: Record<string, string> = {}): void {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const bytes = t.toBytes();
    header[name] = { dtype: toSafetensors[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    blobs.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // align the data to 8 bytes
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  writeFileAtomicSync(path, [len, json, ...blobs]);
}

export interface SafetensorsFile {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

/** Reads every tensor of a safetensors file onto the CPU (new tensors, owned by the caller's scope). */
export function loadSafetensors(path: string): SafetensorsFile {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new SafetensorsError(path, `cannot read: ${(err as Error).message}`);
  }
  if (buf.byteLength < 8) throw new SafetensorsError(path, 'too short to be a safetensors file');
  const headerLen = Number(buf.readBigUInt64LE(0));
  if (headerLen > buf.byteLength - 8) throw new SafetensorsError(path, `header length ${headerLen} exceeds the file size`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8'));
  } catch {
    throw new SafetensorsError(path, 'header is not valid JSON');
  }
  const data = buf.subarray(8 + headerLen);
  const tensors = new Map<string, Tensor>();
  let metadata: Record<string, string> = {};
  try {
    for (const [name, entry] of Object.entries(header)) {
      if (name === '__metadata__') { metadata = entry as Record<string, string>; continue; }
      const { dtype, shape, data_offsets: [begin, end] } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
      const ours = fromSafetensors[dtype];
      if (!ours) throw new SafetensorsError(path, `tensor '${name}' has unsupported dtype ${dtype}`);
      const numel = shape.reduce((a, b) => a * b, 1);
      if (end - begin !== numel * bytesPerElement(ours) || end > data.byteLength || begin < 0)
        throw new SafetensorsError(path, `tensor '${name}': offsets [${begin}, ${end}] do not fit shape [${shape}] ${dtype} or the file`);
      // Copy into an aligned buffer: typed-array views need element alignment.
      tensors.set(name, fromBytes(new Uint8Array(data.subarray(begin, end)), shape, ours));
    }
  } catch (err) {
    for (const t of tensors.values()) t.dispose();
    throw err;
  }
  return { tensors, metadata };
}
