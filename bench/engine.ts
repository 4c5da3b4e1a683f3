/**
 * Engine benchmark: one training step (2x1x64^3) through pspseg vs PyTorch with the default
 * and the tuned glibc allocator, side by side in one run, each in its own process. Rounds
 * alternate the three so machine noise hits them alike; each keeps its best median.
 * Last line: one JSON object (see the README).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { describeCpu } from '../src/util/cpu_info.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const python = '/usr/bin/python3';
const threads = process.env.PSPSEG_THREADS ?? String(cpus().length);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const tuned = 'glibc.malloc.mmap_threshold=2147483647:glibc.malloc.trim_threshold=4294967295';

if (!existsSync(python) || spawnFails(python, ['-c', 'import torch'])) {
  console.error('bench:engine needs PyTorch as the reference: apt-get install --no-install-recommends python3-torch');
  process.exit(2);
}

function spawnFails(cmd: string, args: string[]): boolean {
  try { execFileSync(cmd, args, { stdio: 'ignore' }); return false; } catch { return true; }
}

interface Result { median_ms: number; peak_rss_mb: number; threads: number }
function run(cmd: string, args: string[], env: Record<string, string>): Result {
  const out = execFileSync(cmd, args, { cwd: root, env: { ...process.env, PSPSEG_THREADS: threads, ...env }, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as Result;
}

const configs = {
  ours: () => run(process.execPath, [join(root, 'dist', 'bench', 'engine_step.js')], {}),
  torch_default: () => run(python, [join(root, 'bench', 'torch_step.py')], { GLIBC_TUNABLES: '' }),
  torch_tuned: () => run(python, [join(root, 'bench', 'torch_step.py')], { GLIBC_TUNABLES: tuned }),
};
const results: Record<string, Result[]> = { ours: [], torch_default: [], torch_tuned: [] };
for (let r = 0; r < rounds; r++) {
  for (const [name, fn] of Object.entries(configs)) {
    const res = fn();
    console.log(`round ${r + 1} ${name.padEnd(14)} median ${res.median_ms.toFixed(1)} ms  peak RSS ${res.peak_rss_mb.toFixed(0)} MiB  (${res.threads} threads)`);
    results[name].push(res);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Time: each configuration's best round (noise only ever adds time). Peak memory varies with
// allocator timing from run to run: the median round.
const best: Record<string, Result> = {};
for (const [name, rs] of Object.entries(results))
  best[name] = { median_ms: Math.min(...rs.map((r) => r.median_ms)), peak_rss_mb: median(rs.map((r) => r.peak_rss_mb)), threads: rs[0].threads };
console.log(`step medians (best of ${rounds} rounds): ours ${best.ours.median_ms.toFixed(1)} ms, torch default ${best.torch_default.median_ms.toFixed(1)} ms, torch tuned ${best.torch_tuned.median_ms.toFixed(1)} ms`);
console.log(JSON.stringify({
  ours_ms: +best.ours.median_ms.toFixed(2),
  torch_default_ms: +best.torch_default.median_ms.toFixed(2),
  torch_tuned_ms: +best.torch_tuned.median_ms.toFixed(2),
  ratio_vs_tuned: +(best.ours.median_ms / best.torch_tuned.median_ms).toFixed(3),
  ours_peak_rss_mb: +best.ours.peak_rss_mb.toFixed(1),
  torch_tuned_peak_rss_mb: +best.torch_tuned.peak_rss_mb.toFixed(1),
  cpu: describeCpu(), // timings depend on it (README: Benchmarks)
}));
