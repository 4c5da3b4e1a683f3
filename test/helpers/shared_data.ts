/** Where tests find the shared real data (../shared/data from the repo root, or $PSPSEG_DATA) and the committed fixtures. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { dataRoot, fixturesDir, repoRoot } from '../helpers.js';

export const REPO_ROOT = repoRoot;
export const DATA_DIR = resolve(dataRoot);
export const FIXTURES_DIR = fixturesDir;
export const HIPPOCAMPUS_DIR = resolve(DATA_DIR, 'Task04_Hippocampus');

export function requireData(): void {
  if (!existsSync(resolve(DATA_DIR, 'README.md'))) {
    throw new Error(`shared test data not found at ${DATA_DIR}; set PSPSEG_DATA to the data folder`);
  }
}
