/**
 * Every citation of a document section in code and docs ("docs/method.md, \"Block search\"") names a file
 * that exists and a heading it has, so comments cannot point at sections that moved or never were.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './helpers.js';

function files(dir: string, exts: string[]): string[] {
  return readdirSync(join(repoRoot, dir)).flatMap((n) => {
    const rel = join(dir, n);
    return statSync(join(repoRoot, rel)).isDirectory() ? files(rel, exts) : exts.some((e) => n.endsWith(e)) ? [rel] : [];
  });
}

/** `docs/X.md, "A"` and `docs/X.md, "A" and "B"` (quotes plain or escaped). */
const CITATION = /(docs\/[a-z_]+\.md),? \\?"([^"\\]+)\\?"(?: and \\?"([^"\\]+)\\?")?/g;

const headings = (path: string): Set<string> =>
  new Set(readFileSync(path, 'utf8').split('\n').filter((l) => /^#{1,4} /.test(l)).map((l) => l.replace(/^#+ /, '').trim()));

test('every docs/*.md section cited in src, test, scripts, bench and docs exists', () => {
  const sources = [...files('src', ['.ts']), ...files('test', ['.ts']), ...files('scripts', ['.py', '.sh', '.ts']), ...files('bench', ['.ts']), ...files('docs', ['.md']), 'README.md'];
  const bad: string[] = [];
  let seen = 0;
  for (const f of sources) {
    const text = readFileSync(join(repoRoot, f), 'utf8');
    for (const m of text.matchAll(CITATION)) {
      const doc = join(repoRoot, m[1]!);
      seen++;
      if (!existsSync(doc)) { bad.push(`${f}: ${m[1]} does not exist`); continue; }
      for (const section of [m[2], m[3]].filter((x): x is string => !!x))
        if (!headings(doc).has(section)) bad.push(`${f}: ${m[1]} has no section "${section}"`);
    }
  }
  assert.deepEqual(bad, []);
  assert.ok(seen >= 10, `found ${seen} citations: the pattern still matches how code cites the docs`);
});

test('no comment cites the spec by its old name (method.md section N) outside docs/', () => {
  const stale = [...files('src', ['.ts']), ...files('test', ['.ts']), ...files('scripts', ['.py'])]
    .filter((f) => /(?<!docs\/)method\.md section \d/.test(readFileSync(join(repoRoot, f), 'utf8')));
  assert.deepEqual(stale, []);
});
