/** Where tests find the shared real data (../shared/data from the repo root, or $PSPSEG_DATA) and the committed fixtures. */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: this file runs as dist/test/helpers/shared_data.js. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const DATA_DIR = resolve(process.env.PSPSEG_DATA ?? resolve(REPO_ROOT, '../shared/data'));
export const FIXTURES_DIR = resolve(REPO_ROOT, 'test/fixtures');
export const HIPPOCAMPUS_DIR = resolve(DATA_DIR, 'Task04_Hippocampus');

export function requireData(): void {
  if (!existsSync(resolve(DATA_DIR, 'README.md'))) {
    throw new Error(`shared test data not found at ${DATA_DIR}; set PSPSEG_DATA to the data folder`);
  }
}
