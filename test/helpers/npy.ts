/** Reading .npy files in tests. */
import assert from 'node:assert/strict';

/** Parses a .npy file: header dict and data. */
export function parseNpy(b: Buffer): { descr: string; shape: number[]; data: Buffer } {
  assert.equal(b.subarray(0, 6).toString('latin1'), '\x93NUMPY');
  const len = b.readUInt16LE(8);
  assert.equal((10 + len) % 64, 0, 'header padded to 64 bytes');
  const header = b.subarray(10, 10 + len).toString('latin1');
  const descr = /'descr': '([^']+)'/.exec(header)![1]!;
  assert.match(header, /'fortran_order': False/);
  const shape = /'shape': \(([^)]*)\)/.exec(header)![1]!.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  return { descr, shape, data: b.subarray(10 + len) };
}
