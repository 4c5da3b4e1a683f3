/**
 * The work-folder lock: a second process is refused with the holder named (pid, command, start time)
 * or waits for it; a lock left by a dead process is taken over; a process may lock a folder it holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FolderLockedError, LOCK_FILE, type LockHolder, lockFolder } from '../src/util/folder_lock.js';
import { tempDir } from './helpers.js';

const HOLDER = fileURLToPath(new URL('./helpers/lock_holder.js', import.meta.url));

/** Starts a process that locks `dir` and holds it `holdMs`; resolves once it has printed its outcome. */
function holdInChild(dir: string, holdMs: number, waitMs = 0) {
  const child = spawn(process.execPath, [HOLDER, dir, String(holdMs), String(waitMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const outcome = new Promise<{ locked: boolean; pid?: number; error?: string; holder?: LockHolder }>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (d) => {
      text += String(d);
      if (text.includes('\n')) resolve(JSON.parse(text.split('\n')[0]!));
    });
    child.on('exit', () => reject(new Error(`holder exited without output: ${text}`)));
  });
  return { child, outcome, exited };
}

test('a second process is refused with the holder named; after the holder exits the folder is free', async (t) => {
  const dir = tempDir(t);
  const lock = await lockFolder(dir, { command: 'pspseg preprocess /data/x' });
  const holder = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockHolder;
  assert.equal(holder.pid, process.pid);

  const second = holdInChild(dir, 0);
  const refused = await second.outcome;
  assert.equal(refused.locked, false);
  assert.match(refused.error!, new RegExp(`is in use by another pspseg run: pid ${process.pid}, 'pspseg preprocess /data/x', started \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d`));
  assert.match(refused.error!, new RegExp(`delete ${join(dir, LOCK_FILE).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.equal(await second.exited, 3);

  lock.release();
  assert.ok(!existsSync(join(dir, LOCK_FILE)), 'released');
  const third = holdInChild(dir, 0);
  assert.equal((await third.outcome).locked, true);
  assert.equal(await third.exited, 0);
  assert.ok(!existsSync(join(dir, LOCK_FILE)), 'a process that exits releases its lock');
});

test('a waiting run gets the folder when the holder finishes', async (t) => {
  const dir = tempDir(t);
  const first = holdInChild(dir, 400);
  const got = await first.outcome;
  assert.equal(got.locked, true);
  await assert.rejects(lockFolder(dir), (e: Error) => e instanceof FolderLockedError && e.holder?.pid === got.pid);
  let waitedFor: number | undefined;
  const lock = await lockFolder(dir, { waitMs: 20_000, pollMs: 20, onWait: (h) => { waitedFor = h.pid; } });
  assert.equal(waitedFor, got.pid);
  assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
  lock.release();
  await first.exited;
});

test('a stale lock of a dead process is taken over; a garbled lock file is not', async (t) => {
  const dir = tempDir(t);
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const stale: LockHolder = { pid: dead, command: 'pspseg plan x', started: new Date(0).toISOString(), host: hostname(), token: 'old' };
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify(stale));
  const lock = await lockFolder(dir);
  const now = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockHolder;
  assert.equal(now.pid, process.pid);
  assert.notEqual(now.token, 'old');
  lock.release();

  // Our own live pid, but a different process start tick: the pid was reused, the holder is gone.
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ ...stale, pid: process.pid, processStart: '1', token: 'reused' }));
  const again = await lockFolder(dir);
  assert.notEqual(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).token, 'reused');
  again.release();

  writeFileSync(join(dir, LOCK_FILE), 'not json');
  await assert.rejects(lockFolder(dir), /is locked \(.*cannot be read\)/);
});

test('one process may lock a folder it holds; the lock goes with the last handle', async (t) => {
  const dir = tempDir(t);
  const a = await lockFolder(dir);
  const b = await lockFolder(dir);
  a.release();
  a.release();
  assert.ok(existsSync(join(dir, LOCK_FILE)), 'still held by b');
  b.release();
  assert.ok(!existsSync(join(dir, LOCK_FILE)));
});
