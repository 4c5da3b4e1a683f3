/**
 * A lock on a work folder, so that two pspseg runs never write into one folder at once (the second
 * would delete the first's temporary files, or publish files made with another plan).
 *
 * The lock is a file `.pspseg.lock` in the folder holding its holder: pid, command line, start time,
 * host and (on Linux) the process start tick, which tells a live holder from a reused pid. It is made
 * by hard-linking a fully written temporary file to that name, so it appears atomically and complete.
 * A second run either refuses at once (FolderLockedError naming the holder) or waits (`waitMs`).
 * A lock whose holder is dead (same host, no such process) is stale and is taken over.
 * One process may lock a folder again while it holds it (counted); the lock goes when the last
 * handle is released, or when the process exits.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = '.pspseg.lock';

export interface LockHolder {
  pid: number;
  /** The command line, as `pspseg plan DATASET`. */
  command: string;
  /** ISO time the lock was taken. */
  started: string;
  host: string;
  /** Linux: the process start time in clock ticks since boot (/proc/<pid>/stat field 22). */
  processStart?: string;
  /** Unique per lock, so a release never removes another run's lock. */
  token: string;
}

export interface FolderLockOptions {
  /** What the holder is doing, shown to a second run (default: this process's command line). */
  command?: string;
  /** Wait up to this long for the holder to finish (default 0: refuse at once). */
  waitMs?: number;
  /** Polling interval while waiting (default 250 ms). */
  pollMs?: number;
  /** Called once when a wait begins. */
  onWait?: (holder: LockHolder) => void;
}

export interface FolderLock {
  readonly folder: string;
  readonly file: string;
  /** Releases this handle (idempotent); the lock file goes with the last handle. */
  release(): void;
}

export class FolderLockedError extends Error {
  override readonly name = 'FolderLockedError';
  constructor(readonly folder: string, readonly file: string, readonly holder: LockHolder | null) {
    super(holder
      ? `${folder} is in use by another pspseg run: pid ${holder.pid}${holder.host !== hostname() ? ` on ${holder.host}` : ''}, '${holder.command}', started ${localTime(holder.started)}. `
        + `Wait for it to finish; if that process is gone, delete ${file}`
      : `${folder} is locked (${file} exists but cannot be read); if no other pspseg run uses the folder, delete that file`);
  }
}

function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Linux: field 22 of /proc/<pid>/stat (after the command name, which may hold spaces). */
export function processStartTick(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the holder may still be running. Another host's process cannot be checked: assumed alive. */
export function holderAlive(h: LockHolder): boolean {
  if (h.host !== hostname()) return true;
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  // A pid of a dead holder may have been given to a new process: compare the start ticks.
  const start = h.processStart === undefined ? undefined : processStartTick(h.pid);
  return !(h.processStart !== undefined && start !== undefined && start !== h.processStart);
}

function readHolder(file: string): LockHolder | null | 'missing' {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : null;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    return Number.isInteger(h.pid) && typeof h.token === 'string' ? h : null;
  } catch {
    return null;
  }
}

/** Creates the lock file with `holder` atomically; false when it exists. */
function tryCreate(file: string, holder: LockHolder): boolean {
  const tmp = `${file}.${holder.token}`;
  writeFileSync(tmp, `${JSON.stringify(holder)}\n`);
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Removes a stale lock: renames it away first and checks that what was moved is the stale lock
 * seen (two runs taking over at once must not remove each other's fresh lock); puts back anything else.
 */
function removeStale(file: string, stale: LockHolder): void {
  const aside = `${file}.stale-${randomBytes(4).toString('hex')}`;
  try { renameSync(file, aside); } catch { return; }
  const moved = readHolder(aside);
  if (moved !== null && moved !== 'missing' && moved.token !== stale.token) {
    try { linkSync(aside, file); } catch { /* a third run holds it now */ }
  }
  rmSync(aside, { force: true });
}

const held = new Map<string, { count: number; file: string; token: string }>();

function releaseAllOnExit(): void {
  for (const [, h] of held) {
    const current = readHolder(h.file);
    if (current && current !== 'missing' && current.token === h.token) rmSync(h.file, { force: true });
  }
  held.clear();
}
let exitHookInstalled = false;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Locks `folder` (created if missing) for this process; throws FolderLockedError when another live run holds it. */
export async function lockFolder(folder: string, o: FolderLockOptions = {}): Promise<FolderLock> {
  mkdirSync(folder, { recursive: true });
  const key = realpathSync(folder);
  const file = join(key, LOCK_FILE);
  const mine = held.get(key);
  if (mine) {
    mine.count++;
    return handle(key, file);
  }
  const holder: LockHolder = {
    pid: process.pid,
    command: o.command ?? commandLine(),
    started: new Date().toISOString(),
    host: hostname(),
    processStart: processStartTick(process.pid),
    token: `${process.pid}-${randomBytes(8).toString('hex')}`,
  };
  const deadline = Date.now() + (o.waitMs ?? 0);
  let waiting = false;
  for (;;) {
    if (tryCreate(file, holder)) break;
    const other = readHolder(file);
    if (other === 'missing') continue; // released meanwhile
    if (other && !holderAlive(other)) { removeStale(file, other); continue; }
    if (Date.now() >= deadline) throw new FolderLockedError(key, file, other);
    if (!waiting && other) { waiting = true; o.onWait?.(other); }
    await sleep(Math.min(o.pollMs ?? 250, Math.max(1, deadline - Date.now())));
  }
  held.set(key, { count: 1, file, token: holder.token });
  if (!exitHookInstalled) { process.on('exit', releaseAllOnExit); exitHookInstalled = true; }
  return handle(key, file);
}

function handle(key: string, file: string): FolderLock {
  let released = false;
  return {
    folder: key,
    file,
    release(): void {
      if (released) return;
      released = true;
      const h = held.get(key);
      if (!h || --h.count > 0) return;
      held.delete(key);
      const current = readHolder(file);
      if (current && current !== 'missing' && current.token === h.token) rmSync(file, { force: true });
    },
  };
}

/** Runs `fn` holding the lock on `folder`. */
export async function withFolderLock<T>(folder: string, o: FolderLockOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await lockFolder(folder, o);
  try { return await fn(); } finally { lock.release(); }
}

/** `pspseg plan /data/x --quiet` for this process. */
function commandLine(): string {
  const script = process.argv[1] ?? '';
  const name = /cli[\\/]main\.js$/.test(script) ? 'pspseg' : script.split(/[\\/]/).pop() ?? 'node';
  return [name, ...process.argv.slice(2)].join(' ');
}
