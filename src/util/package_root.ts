/** pspseg's package root and version, from its package.json (this file is src/util or dist/src/util: walk up to it). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { root: string; version: string } | undefined;

function findPackage(): { root: string; version: string } {
  if (cached) return cached;
  for (let dir = dirname(fileURLToPath(import.meta.url)), i = 0; i < 6; i++, dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'pspseg') return (cached = { root: dir, version: pkg.version ?? 'unknown' });
  }
  throw new Error(`cannot find the pspseg package root above ${fileURLToPath(import.meta.url)}`);
}

/** The folder holding pspseg's package.json. */
export const packageRoot = (): string => findPackage().root;

export const packageVersion = (): string => findPackage().version;
