/**
 * Log lines and progress bars on one terminal: a line printed while a bar is shown clears the bar's
 * line first and draws the bar again below it (progress.log, logLine, and console.* while the bar
 * guards the console); in plain mode lines are simply printed; a failed command takes the bar down.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Progress, abandonProgress, logLine } from '../src/util/progress.js';

/** A fake terminal: everything written, in order. */
function terminal() {
  const chunks: string[] = [];
  const stream = Object.assign(new Writable({ write(chunk, _enc, cb) { chunks.push(String(chunk)); cb(); } }), { isTTY: true, columns: 200 });
  /** What a terminal shows: \r returns to the line start, \x1b[K erases to its end. */
  const screen = (): string[] => {
    const lines = [''];
    for (const ch of chunks.join('').replace(/\x1b\[K/g, '\u0000')) {
      if (ch === '\n') lines.push('');
      else if (ch === '\r') lines[lines.length - 1] = '\u0001';
      else if (ch === '\u0000') lines[lines.length - 1] = lines[lines.length - 1]!.replace(/^\u0001/, '');
      else lines[lines.length - 1] = lines[lines.length - 1]!.replace(/^\u0001/, '') + ch;
    }
    return lines;
  };
  return { stream, chunks, screen };
}

test('progress.log on a terminal: the bar is cleared, the line printed on its own, the bar drawn again', () => {
  const t = terminal();
  let now = 0;
  const p = new Progress('train', 10, { stream: t.stream, now: () => (now += 200), guardConsole: false });
  p.tick(1, 'loss 1.0');
  p.log('  steps 1-40: mean loss 0.9', t.stream);
  p.tick(1, 'loss 0.8');
  p.finish('done');
  const screen = t.screen();
  assert.equal(screen[0], '  steps 1-40: mean loss 0.9', 'the log line stands alone, not glued to the bar');
  assert.match(screen[1]!, /^train: 2\/10 in .* - done$/);
  // the bar was erased before the log line was written, and drawn again after it
  const i = t.chunks.indexOf('  steps 1-40: mean loss 0.9\n');
  assert.equal(t.chunks[i - 1], '\r\x1b[K');
  assert.match(t.chunks[i + 1]!, /^\rtrain \[#+\.+\] 1\/10/);
});

test('console.log while a bar guards the console is routed around it; the guard ends with the bar', () => {
  const t = terminal();
  const original = console.log;
  console.log = (...a: unknown[]) => { t.stream.write(`${a.join(' ')}\n`); };
  const collector = console.log;
  try {
    let now = 0;
    const p = new Progress('preprocess', 3, { stream: t.stream, now: () => (now += 200), guardConsole: true });
    p.tick(1, 'case_1');
    console.log('note: 1 case(s) at a time');
    logLine('via logLine');
    p.tick(1, 'case_2');
    p.finish();
    assert.equal(console.log, collector, 'console.log restored when the bar finished');
    const screen = t.screen();
    assert.deepEqual(screen.slice(0, 2), ['note: 1 case(s) at a time', 'via logLine']);
    assert.match(screen[2]!, /^preprocess: 2\/3 in /);

    // a bar left behind by a failed step is taken down before the error is printed
    const q = new Progress('check', 5, { stream: t.stream, now: () => (now += 200), guardConsole: true });
    q.tick(1, 'a');
    abandonProgress();
    assert.equal(console.log, collector);
    assert.equal(t.chunks[t.chunks.length - 1], '\r\x1b[K');
  } finally {
    console.log = original;
  }
});

test('plain mode (logs, CI): log lines are just printed', () => {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  const p = new Progress('work', 4, { stream, tty: false });
  p.tick(1);
  p.log('hello', stream);
  assert.equal(lines[lines.length - 1], 'hello\n');
  assert.ok(!lines.join('').includes('\r'));
});
