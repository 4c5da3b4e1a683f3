/** `pspseg train` option parsing: defaults left to the trainer, values checked with clear messages. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { train } from '../src/cli/commands/train.js';
import { trainRequest } from '../src/cli/commands/train_run.js';

/** What `pspseg train ARGS` would train with (throws on bad usage). */
function parseTrainArgs(argv: string[]) {
  const p = train.parse(argv);
  return p.help ? p : { help: false as const, dataset: p.args[0]!, request: trainRequest(p.options) };
}

test('pspseg train parses its options into a request', () => {
  const p = parseTrainArgs(['Hippocampus', '--arch', 'psp', '--variant', 'B', '--fold', 'all', '--patch', '48,64,48', '--lr', '1e-3',
    '--optimizer', 'adamw', '--epochs', '5', '--val-iterations', '3', '--no-deep-supervision', '--continue']);
  assert.ok(!p.help);
  if (p.help) return;
  assert.equal(p.dataset, 'Hippocampus');
  assert.deepEqual({ ...p.request }, {
    ...p.request, arch: 'psp', variant: 'B', fold: 'all', patch: [48, 64, 48], lr: 1e-3, optimizer: 'adamw', epochs: 5, valIterations: 3,
    deepSupervision: false, continue: true,
  });
  const d = parseTrainArgs(['X', '--patch', '32']);
  assert.ok(!d.help && d.request.fold === 0 && d.request.patch!.join() === '32,32,32' && d.request.epochs === undefined);
});

test('pspseg train rejects bad values with a message naming the option', () => {
  const bad: [string[], RegExp][] = [
    [[], /expected DATASET/],
    [['X', '--fold', 'two'], /--fold must be an integer/],
    [['X', '--patch', '32,32'], /--patch takes D,H,W/],
    [['X', '--arch', 'resnet'], /--arch must be one of psp, plain, small/],
    [['X', '--lr', '0'], /--lr must be a number > 0/],
    [['X', '--continue', '--force'], /exclude each other/],
    [['X', '--name', 'a/b'], /--name may hold/],
  ];
  for (const [args, re] of bad) assert.throws(() => parseTrainArgs(args), re, args.join(' '));
});
