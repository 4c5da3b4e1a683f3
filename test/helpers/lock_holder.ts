/**
 * A second process for the folder-lock tests: locks the folder argv[2] (waiting up to argv[4] ms),
 * prints the outcome as one JSON line, holds the lock for argv[3] ms, then exits (releasing it on exit).
 */
import { FolderLockedError, lockFolder } from '../../src/util/folder_lock.js';

const [folder, holdMs = '0', waitMs = '0'] = process.argv.slice(2);
try {
  await lockFolder(folder!, { command: 'lock_holder test', waitMs: Number(waitMs), pollMs: 20 });
  console.log(JSON.stringify({ locked: true, pid: process.pid }));
  await new Promise((r) => setTimeout(r, Number(holdMs)));
} catch (err) {
  console.log(JSON.stringify({ locked: false, error: (err as Error).message, holder: err instanceof FolderLockedError ? err.holder : null }));
  process.exitCode = 3;
}
