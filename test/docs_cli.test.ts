/** docs/cli.md is the commands' own option tables: a stale copy fails here (npm run docs:cli writes it). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commands } from '../src/cli/commands/index.js';
import { cliReference } from '../src/cli/reference.js';
import { TRAIN_OPTIONS } from '../src/train/options.js';
import { repoRoot } from './helpers.js';

test('docs/cli.md is what the option tables make (run `npm run docs:cli` after changing an option)', () => {
  assert.equal(readFileSync(join(repoRoot, 'docs', 'cli.md'), 'utf8'), cliReference());
});

test('the reference has every command and every option with its default', () => {
  const md = cliReference();
  for (const c of commands) assert.match(md, new RegExp(`^## pspseg ${c.name}$`, 'm'));
  assert.match(md, /^\| `--epochs N` \| epochs \| 1000 \|$/m);
  assert.match(md, /^\| `--patch X,Y,Z` \| patch size per image axis x, y, z .* \| the plan's \|$/m);
  for (const flag of Object.keys(TRAIN_OPTIONS)) assert.ok(md.includes(`\`--${flag}`), flag);
});
