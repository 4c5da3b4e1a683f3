/**
 * architecture.json: written atomically beside every checkpoint; read back with errors that name the
 * file and every bad field. A folder is accepted for reading (its architecture.json).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../util/atomic_write.js';
import { type Architecture, ArchitectureError, validateArchitecture } from './architecture.js';

export const ARCHITECTURE_FILE = 'architecture.json';

export class ArchitectureFileError extends Error {
  constructor(readonly path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'ArchitectureFileError';
  }
}

export function saveArchitecture(path: string, arch: Architecture): void {
  const valid = validateArchitecture(arch, path); // never write what could not be read back
  writeFileAtomicSync(path, [`${JSON.stringify(valid, null, 2)}\n`]);
}

/** Reads an architecture from a file, or from `architecture.json` in a folder. */
export function loadArchitecture(pathOrDir: string): Architecture {
  let path = pathOrDir;
  try { if (statSync(pathOrDir).isDirectory()) path = join(pathOrDir, ARCHITECTURE_FILE); } catch { /* reported below */ }
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ArchitectureFileError(path, code === 'ENOENT' ? 'architecture file does not exist' : `cannot read: ${(err as Error).message}`);
  }
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (err) { throw new ArchitectureFileError(path, `not valid JSON: ${(err as Error).message}`); }
  try {
    return validateArchitecture(raw, path);
  } catch (err) {
    if (err instanceof ArchitectureError) throw new ArchitectureFileError(path, err.message.slice(path.length + 2));
    throw err;
  }
}
