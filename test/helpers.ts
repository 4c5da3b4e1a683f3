/** Shared test helpers: fixture decoding, tolerant comparison, paths. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type DType, type Tensor, tensor } from '../src/tensor/index.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (tests run from dist/test). */
export const repoRoot = resolve(here, '..', '..');
export const fixturesDir = join(repoRoot, 'test', 'fixtures');
export const dataRoot = process.env.PSPSEG_DATA ?? resolve(repoRoot, '..', 'shared', 'data');

/** A new empty folder under the OS temp folder, removed with its contents when the test ends. */
export function tempDir(t: TestContext, prefix = 'pspseg-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(fixturesDir, name), 'utf8')) as T;
}

export interface Encoded { dtype: string; shape: number[]; data: number[] }

export function decode(e: Encoded): Tensor {
  const dtype = (e.dtype === 'bool' ? 'bool' : e.dtype) as DType;
  return tensor(e.data, e.shape, { dtype });
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, { rtol = 1e-6, atol = 1e-8 } = {}, what = ''): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const a = Number(actual[i]);
    const e = Number(expected[i]);
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    const tol = atol + rtol * Math.abs(e);
    if (!(Math.abs(a - e) <= tol)) assert.fail(`${what}: element ${i}: ${a} vs expected ${e} (tol ${tol})`);
  }
}
