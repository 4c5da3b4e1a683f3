/** The `npm test` reporter: the slowest leaf tests, listed before the summary lines that CI reads last. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tap, type TestEvent } from 'node:test/reporters';
import { withSlowest } from './reporters/slowest.js';

const done = (name: string, nesting: number, ms: number, extra: Record<string, unknown> = {}, details: Record<string, unknown> = {}) =>
  ({ type: 'test:pass', data: { name, nesting, file: '/x/a.test.js', testNumber: 1, details: { duration_ms: ms, ...details }, ...extra } }) as unknown as TestEvent;
const diagnostic = (message: string) => ({ type: 'test:diagnostic', data: { nesting: 0, message } }) as TestEvent;

test('lists the slowest leaf tests (no suites, parents or skips) just before the summary', async () => {
  const events = [
    done('child', 1, 3000), done('parent', 0, 3100), done('quick', 0, 10), done('skipped', 0, 9000, { skip: true }),
    done('inner', 1, 700), done('a suite', 0, 800, {}, { type: 'suite' }), done('slow', 0, 5000),
    { type: 'test:plan', data: { nesting: 0, count: 4 } } as TestEvent,
    diagnostic('tests 4'), diagnostic('pass 4'), diagnostic('fail 0'),
  ];
  async function* source() { yield* events; }
  let out = '';
  for await (const chunk of tap(withSlowest(source()))) out += chunk;
  const lines = out.trimEnd().split('\n');
  assert.deepEqual(lines.slice(-3), ['# tests 4', '# pass 4', '# fail 0'], 'the summary stays last');
  const list = lines.slice(lines.indexOf('# slowest 4 tests:') + 1, -3);
  assert.deepEqual(list, [
    '#    5.00 s  slow (a.test.js)', '#    3.00 s  child (a.test.js)', '#    0.70 s  inner (a.test.js)', '#    0.01 s  quick (a.test.js)',
  ]);
});
