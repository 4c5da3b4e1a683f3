/** Takes apart the PNG files the report's encoder writes (RGB, filter 0), checking the layout on the way. */
import assert from 'node:assert/strict';
import { crc32 as zlibCrc32, inflateSync } from 'node:zlib';

export interface PngChunk { type: string; data: Buffer; crc: number }

export function pngChunks(png: Buffer): PngChunk[] {
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
  const out: PngChunk[] = [];
  for (let off = 8; off < png.length;) {
    const len = png.readUInt32BE(off);
    const type = png.subarray(off + 4, off + 8).toString('ascii');
    out.push({ type, data: png.subarray(off + 8, off + 8 + len), crc: png.readUInt32BE(off + 8 + len) });
    assert.equal(png.readUInt32BE(off + 8 + len), zlibCrc32(png.subarray(off + 4, off + 8 + len)), `CRC of ${type}`);
    off += 12 + len;
  }
  return out;
}

/** Width, height and RGB bytes back from a PNG this encoder wrote (filter 0 rows only). */
export function decodeRgbPng(png: Buffer): { width: number; height: number; rgb: Uint8Array; filters: number[] } {
  const cs = pngChunks(png);
  assert.deepEqual(cs.map((c) => c.type), ['IHDR', 'IDAT', 'IEND']);
  const ihdr = cs[0]!.data;
  const width = ihdr.readUInt32BE(0), height = ihdr.readUInt32BE(4);
  assert.deepEqual([...ihdr.subarray(8)], [8, 2, 0, 0, 0], 'bit depth 8, RGB, deflate, filter method 0, no interlace');
  const raw = inflateSync(cs[1]!.data);
  assert.equal(raw.length, height * (3 * width + 1));
  const rgb = new Uint8Array(width * height * 3);
  const filters: number[] = [];
  for (let y = 0; y < height; y++) {
    filters.push(raw[y * (3 * width + 1)]!);
    rgb.set(raw.subarray(y * (3 * width + 1) + 1, (y + 1) * (3 * width + 1)), y * 3 * width);
  }
  return { width, height, rgb, filters };
}

