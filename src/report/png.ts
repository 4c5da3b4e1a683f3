/**
 * A minimal PNG encoder for the report's slice pictures: 8-bit RGB, no interlacing, filter 0 (none)
 * on every row, one zlib stream (node:zlib) in one IDAT chunk. Images in a report are small, so the
 * simplest valid file is enough; zlib's own compression does the work.
 */
import { deflateSync } from 'node:zlib';
import { crc32 } from '../util/crc32.js';

/** An RGB picture: `rgb` holds width * height * 3 bytes, rows top to bottom, pixels left to right. */
export interface RgbImage {
  width: number;
  height: number;
  rgb: Uint8Array;
}

export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

export function encodePng(image: RgbImage): Buffer {
  const { width, height, rgb } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new Error(`encodePng: width and height must be positive integers, got ${width} x ${height}`);
  if (rgb.length !== width * height * 3) throw new Error(`encodePng: ${width} x ${height} RGB needs ${width * height * 3} bytes, got ${rgb.length}`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  // compression 0, filter method 0, no interlace: the zeros already there
  const stride = width * 3;
  const raw = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter type 0 (none)
    raw.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array(0))]);
}

export function pngDataUri(image: RgbImage): string {
  return `data:image/png;base64,${encodePng(image).toString('base64')}`;
}
