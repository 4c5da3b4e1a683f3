/**
 * Every command in README.md runs: each ```sh block, in order, with bash in one scratch folder that
 * sits beside a link to ../shared (so the README's relative paths hold), as a new user would type it.
 * `npx pspseg` is the built CLI; long work is cut short by options appended after the README's own
 * (the last value of an option wins): train and demo run an epoch of two steps at a small patch,
 * predict skips the mirroring and the windows' overlap. `npm run demo` is the demo through the same CLI (its setup step is what
 * `npm test` itself just ran); `npm test` is what runs this file, so it is not run again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, tempDir } from './helpers.js';
import { HIPPOCAMPUS_DIR, requireData } from './helpers/shared_data.js';

/** The ```sh blocks of a Markdown text, in order. */
export function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/** Appended to the README's options: enough to run every stage, not to train. */
const SHORT: Record<string, string[]> = {
  train: ['--epochs', '1', '--iterations', '2', '--val-iterations', '1', '--patch', '32', '--workers', '1', '--quiet'],
  demo: ['--epochs', '1', '--iterations', '2', '--no-tta'],
  predict: ['--no-tta', '--step', '1', '--batch', '4', '--quiet'],
};

function shims(bin: string): void {
  mkdirSync(bin, { recursive: true });
  const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
  const cases = Object.entries(SHORT).map(([cmd, extra]) => `  ${cmd}) exec "${process.execPath}" "${cli}" "$@" ${extra.join(' ')} ;;`).join('\n');
  const scripts: Record<string, string> = {
    pspseg: `#!/usr/bin/env bash\ncase "$1" in\n${cases}\n  *) exec "${process.execPath}" "${cli}" "$@" ;;\nesac\n`,
    npx: '#!/usr/bin/env bash\n[ "$1" = pspseg ] || { echo "npx $1: not a README command" >&2; exit 127; }\nshift\nexec pspseg "$@"\n',
    npm: '#!/usr/bin/env bash\ncase "$*" in\n  "run demo") exec pspseg demo ;;\n  test) exit 0 ;;\n  *) echo "npm $*: not a README command" >&2; exit 127 ;;\nesac\n',
  };
  for (const [name, text] of Object.entries(scripts)) {
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  }
}

test('README.md: its shell blocks are found, and each is a command a user can run', () => {
  const blocks = shellBlocks(readFileSync(join(repoRoot, 'README.md'), 'utf8'));
  assert.ok(blocks.length >= 3, `${blocks.length} sh blocks`);
  assert.match(blocks[0]!, /^npm run demo\b[^\n]*\nnpm test\b/m, 'the quick start is exactly the two commands');
  assert.equal(blocks[0]!.trim().split('\n').length, 2);
});

test('README.md: every command runs, in order, on the bundled data', { timeout: 900_000 }, (t) => {
  requireData();
  assert.ok(existsSync(HIPPOCAMPUS_DIR));
  const root = tempDir(t, 'pspseg-readme-');
  symlinkSync(join(repoRoot, '..', 'shared'), join(root, 'shared'));
  const cwd = join(root, 'user');
  mkdirSync(cwd);
  shims(join(root, 'bin'));
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${join(root, 'bin')}:${process.env.PATH}` };
  delete env.PSPSEG_WORK; // the README's paths are the default work folder's
  const blocks = shellBlocks(readFileSync(join(repoRoot, 'README.md'), 'utf8'));
  blocks.forEach((block, i) => {
    const start = performance.now();
    const r = spawnSync('bash', ['-euo', 'pipefail', '-c', block], { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
    t.diagnostic(`README block ${i + 1}: ${((performance.now() - start) / 1000).toFixed(1)} s`);
    assert.equal(r.status, 0, `README block ${i + 1} failed:\n${block}\n--- stderr ---\n${r.stderr.slice(-4000)}\n--- stdout ---\n${r.stdout.slice(-2000)}`);
  });
  // what the blocks promise exists
  for (const f of ['pspseg_work/Hippocampus/models/demo_psp_S/fold_0/report.html', 'pspseg_work/Hippocampus/models/psp_S/fold_0/report.html',
    'pspseg_work/Hippocampus/models/psp_S/fold_0/validation/summary.json', 'my_spleen_predicted/spleen2_ct.nii.gz'])
    assert.ok(existsSync(join(cwd, f)), f);
});
