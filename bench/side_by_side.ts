/**
 * What the side-by-side benchmarks (engine, model) share: each side runs as its own child process (so
 * its peak memory is its own) and prints one JSON line last; PyTorch, the reference, runs with glibc's
 * allocator tuned as pspseg's addon tunes its own (no mmap per big tensor, no trimming).
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numberSetting } from './smoke.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The Python with PyTorch: Debian's (python3-torch), or PSPSEG_PYTHON (a GPU machine's own). */
export const python = process.env.PSPSEG_PYTHON ?? '/usr/bin/python3';
export const tunedGlibc = 'glibc.malloc.mmap_threshold=2147483647:glibc.malloc.trim_threshold=4294967295';
export const benchThreads = process.env.PSPSEG_THREADS ?? String(cpus().length);
/** BENCH_ROUNDS, else `fallback`; 1 under BENCH_SMOKE=1. */
export const benchRounds = (fallback: number) => numberSetting('BENCH_ROUNDS', fallback, 1);

/** Exits (code 2) with the install hint when PyTorch is missing. */
export function requirePyTorch(bench: string): void {
  try {
    execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    console.error(`${bench} needs PyTorch as the reference: apt-get install --no-install-recommends python3-torch`);
    process.exit(2);
  }
}

/** Runs a child in the repository root with PSPSEG_THREADS set and parses its last output line. */
export function runJson<T>(cmd: string, args: string[], env: Record<string, string>): T {
  const out = execFileSync(cmd, args, { cwd: repoRoot, env: { ...process.env, PSPSEG_THREADS: benchThreads, ...env }, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

/** A pspseg step script (dist/bench/<name>.js) and a PyTorch one (bench/<name>.py, tuned allocator). */
export const runOurs = <T>(script: string, env: Record<string, string> = {}) =>
  runJson<T>(process.execPath, [join(repoRoot, 'dist', 'bench', `${script}.js`)], env);
export const runTorch = <T>(script: string, env: Record<string, string> = {}) =>
  runJson<T>(python, [join(repoRoot, 'bench', `${script}.py`)], { GLIBC_TUNABLES: tunedGlibc, ...env });

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
