/**
 * The command-line glue: static help (no engine loaded), strict options, typed and range-checked
 * values, and exit codes (0 ok, 1 failure, 2 bad usage).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineCommand } from '../src/cli/command.js';
import { commands } from '../src/cli/commands/index.js';
import { plan } from '../src/cli/commands/plan.js';
import { DEFAULT_NUM_POOLS, DEFAULT_VOXEL_BUDGET } from '../src/data/plan/plan_geometry.js';
import { dataRoot, tempDir } from './helpers.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const HIPPO = `${dataRoot}/Task04_Hippocampus`;

function pspseg(args: string[], env: Record<string, string> = {}, cwd?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, cwd });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const noAddon = { PSPSEG_ADDON: '/nonexistent/pspseg_native.node' };

test('without the addon, engine commands fail, but `pspseg --help` and every command\'s --help work', () => {
  const info = pspseg(['info'], noAddon);
  assert.equal(info.code, 1, 'the engine really is unavailable');
  assert.match(info.err, /PSPSEG_ADDON=.*no such file/);

  const help = pspseg(['--help'], noAddon);
  assert.equal(help.code, 0, help.err);
  for (const c of commands) assert.match(help.out, new RegExp(`^  ${c.name} +${c.summary.replace(/[()^$.*+?[\]{}|\\]/g, '\\$&')}$`, 'm'));
  for (const c of commands) {
    const r = pspseg([c.name, '--help'], noAddon);
    assert.equal(r.code, 0, `${c.name} --help: ${r.err}`);
    assert.equal(r.out.trimEnd(), c.usage);
    assert.match(r.out, new RegExp(`^usage: pspseg ${c.name}`));
  }
});

test('an unknown command or option is rejected with exit code 2 (an option with the usage text)', () => {
  const cmd = pspseg(['frobnicate']);
  assert.equal(cmd.code, 2);
  assert.match(cmd.err, /unknown command 'frobnicate'/);
  const opt = pspseg(['check', HIPPO, '--bogus']);
  assert.equal(opt.code, 2);
  assert.match(opt.err, /^pspseg check: .*'--bogus'/);
  assert.ok(opt.err.includes(commands.find((c) => c.name === 'check')!.usage), 'usage printed');
  assert.equal(opt.out, '');
});

test('bad options are rejected with the usage (exit 2) naming the option, before the engine loads or anything is written', (t) => {
  const work = tempDir(t, 'pspseg-cli-');
  const env = { PSPSEG_WORK: work, ...noAddon }; // no engine: every option is checked before anything loads
  const cases: [string[], RegExp][] = [
    [['check', HIPPO, '--jobs', '0'], /^pspseg check: --jobs must be an integer >= 1, got '0'/],
    [['demo', HIPPO, '--iterations', 'abc'], /^pspseg demo: --iterations must be an integer >= 1, got 'abc'/],
    [['demo', '--seed', '1.5'], /^pspseg demo: --seed must be an integer >= 0, got '1.5'/],
    [['plan', HIPPO, '--workers', ''], /^pspseg plan: --workers must be an integer >= 1, got ''/],
    [['plan', HIPPO, '--num-pools=-1'], /^pspseg plan: --num-pools must be an integer between 0 and 6, got '-1'/],
    [['plan', HIPPO, '--num-pools', '12'], /^pspseg plan: --num-pools must be an integer between 0 and 6, got '12'/],
    [['plan', HIPPO, '--target-spacing', '1,0,1'], /^pspseg plan: --target-spacing must be X,Y,Z \(per image axis x, y, z\) or one number for all three, each > 0, got '1,0,1'/],
    [['check', HIPPO, '--tolerance', '1e-3x'], /^pspseg check: --tolerance must be a number >= 0, got '1e-3x'/],
    [['preprocess', HIPPO, '--workers', '0'], /^pspseg preprocess: --workers must be an integer >= 1, got '0'/],
    [['demo', '--variant', 'X'], /^pspseg demo: --variant must be one of S, B, L, got 'X'/],
    [['train', HIPPO, '--patch', '32,32'], /^pspseg train: --patch must be X,Y,Z/],
    [['train', HIPPO, '--arch', 'plain', '--variant', 'B'], /^pspseg train: --variant applies to --arch psp only/],
    [['predict', '-i', HIPPO, '-o', 'out', '-m', 'model', '--checkpoint', 'newest'], /^pspseg predict: --checkpoint must be one of final, best, latest/],
  ];
  for (const [args, message] of cases) {
    const r = pspseg(args, env, work);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, message);
    assert.deepEqual(readdirSync(work), [], `${args.join(' ')} wrote nothing`);
  }
});

test("plan's usage states the defaults the planner uses", () => {
  assert.ok(plan.usage.includes(`(default: ${DEFAULT_VOXEL_BUDGET} `), 'voxel budget');
  assert.ok(plan.usage.includes(`(default: ${DEFAULT_NUM_POOLS})`), 'number of pools');
});

/** Runs a command in this process, capturing what it prints. */
async function capture(run: () => Promise<number>) {
  const out: string[] = [], err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  console.error = (...a: unknown[]) => { err.push(a.join(' ')); };
  try {
    return { code: await run(), out: out.join('\n'), err: err.join('\n') };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

test('defineCommand: typed values with defaults, optional arguments, failures as exit 1 naming the command', async () => {
  let seen: unknown;
  const cmd = defineCommand({
    name: 'probe',
    summary: 'a test command',
    args: [{ name: 'IN' }, { name: 'OUT', optional: true }],
    options: {
      count: { type: 'integer', min: 1, max: 10, default: 3, help: 'how many' },
      scale: { type: 'number', min: 0, exclusiveMin: true, help: 'a factor' },
      size: { type: 'numbers', count: 2, help: 'two numbers' },
      name: { type: 'string', default: 'x', help: 'a name' },
      fast: { type: 'boolean', help: 'hurry' },
    },
    run: async (o, args) => {
      seen = { ...o, args };
      if (o.name === 'fail') throw new Error('it broke');
      return 0;
    },
  });
  assert.match(cmd.usage, /^usage: pspseg probe IN \[OUT\] \[options\]/);
  assert.match(cmd.usage, /--count N +how many \(default: 3\)/);

  assert.equal((await capture(() => cmd.run(['a']))).code, 0);
  assert.deepEqual(seen, { count: 3, scale: undefined, size: undefined, name: 'x', fast: false, args: ['a'] });
  assert.equal((await capture(() => cmd.run(['a', 'b', '--count=10', '--scale', '.5', '--size', '1,2e1', '--fast']))).code, 0);
  assert.deepEqual(seen, { count: 10, scale: 0.5, size: [1, 20], name: 'x', fast: true, args: ['a', 'b'] });

  const tooMany = await capture(() => cmd.run(['a', '--count', '11']));
  assert.equal(tooMany.code, 2);
  assert.match(tooMany.err, /^pspseg probe: --count must be an integer between 1 and 10, got '11'/);
  assert.match((await capture(() => cmd.run(['a', '--scale', '0']))).err, /--scale must be a number > 0, got '0'/);
  assert.match((await capture(() => cmd.run([]))).err, /^pspseg probe: expected IN\n/);
  assert.match((await capture(() => cmd.run(['a', 'b', 'c']))).err, /^pspseg probe: unexpected argument 'c'/);

  const failed = await capture(() => cmd.run(['a', '--name', 'fail']));
  assert.equal(failed.code, 1);
  assert.equal(failed.err, 'pspseg probe: it broke');

  const help = await capture(() => cmd.run(['-h', '--count', 'nonsense']));
  assert.deepEqual([help.code, help.out], [0, cmd.usage]);
});
