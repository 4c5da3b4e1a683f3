/**
 * The report's PNG encoder, checked by taking its files apart with node:zlib: signature, chunk
 * layout and CRCs (zlib's crc32, against src/util/crc32), the header fields, and the inflated rows (filter byte 0, then the
 * pixels as given).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { PNG_SIGNATURE, encodePng, pngDataUri } from '../src/report/png.js';
import { crc32 } from '../src/util/crc32.js';
import { decodeRgbPng, pngChunks } from './helpers/png_decode.js';

test('png: chunks, header, filter bytes and pixels survive a decode with node:zlib', () => {
  const width = 5, height = 3;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 37 + 11) % 256;
  const png = encodePng({ width, height, rgb });
  const back = decodeRgbPng(png);
  assert.equal(back.width, width);
  assert.equal(back.height, height);
  assert.deepEqual(back.filters, [0, 0, 0]);
  assert.deepEqual([...back.rgb], [...rgb]);
  assert.equal(pngChunks(png)[2]!.data.length, 0, 'IEND is empty');
});

test('png: a 1x1 picture and a wide one', () => {
  const one = decodeRgbPng(encodePng({ width: 1, height: 1, rgb: Uint8Array.of(255, 0, 128) }));
  assert.deepEqual([...one.rgb], [255, 0, 128]);
  const wide = new Uint8Array(300 * 2 * 3).map((_, i) => i % 251);
  assert.deepEqual([...decodeRgbPng(encodePng({ width: 300, height: 2, rgb: wide })).rgb], [...wide]);
});

test('png: crc32 matches zlib on arbitrary bytes', () => {
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * i + 7) & 255);
  assert.equal(crc32(bytes), zlibCrc32(bytes));
  assert.equal(crc32(Buffer.from('IEND')), 0xae426082); // the CRC every PNG ends with
});

test('png: data URI holds the same file; bad sizes are refused with the numbers', () => {
  const img = { width: 2, height: 2, rgb: new Uint8Array(12).fill(7) };
  const uri = pngDataUri(img);
  assert.match(uri, /^data:image\/png;base64,/);
  const bytes = Buffer.from(uri.slice(uri.indexOf(',') + 1), 'base64');
  assert.deepEqual([...bytes.subarray(0, 8)], [...PNG_SIGNATURE]);
  assert.deepEqual(bytes, encodePng(img));
  assert.throws(() => encodePng({ width: 2, height: 2, rgb: new Uint8Array(11) }), /2 x 2 RGB needs 12 bytes, got 11/);
  assert.throws(() => encodePng({ width: 0, height: 2, rgb: new Uint8Array(0) }), /positive integers/);
});
