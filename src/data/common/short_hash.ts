/** A short content hash of anything JSON can hold (cache keys, provenance). */
import { createHash } from 'node:crypto';

export function shortHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}
