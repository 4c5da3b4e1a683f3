/**
 * Engine benchmark: one training step (2x1x64^3) through pspseg vs PyTorch with the default
 * and the tuned glibc allocator, side by side in one run, each in its own process. Rounds
 * alternate the three so machine noise hits them alike; each keeps its best median.
 * Env: BENCH_ROUNDS (3), BENCH_SIZE (64), BENCH_WARMUP (3), BENCH_STEPS (15) (the last three: both
 * sides' step scripts), PSPSEG_THREADS (all cores). BENCH_SMOKE=1: 1 round of 2 steps after 1 warm-up at
 * 16^3, to check that it runs. Last line: one JSON object {ours_ms, torch_default_ms, torch_tuned_ms,
 * ratio_vs_tuned, ours_peak_rss_mb, torch_tuned_peak_rss_mb, cpu}.
 */
import { benchRounds, median, requirePyTorch, runOurs, runTorch } from './side_by_side.js';
import { smokeChildEnv } from './smoke.js';
import { describeCpu } from '../src/util/cpu_info.js';

const rounds = benchRounds(3);
requirePyTorch('bench:engine');
const stepEnv = smokeChildEnv({ BENCH_SIZE: '16', BENCH_WARMUP: '1', BENCH_STEPS: '2' });

interface Result { median_ms: number; peak_rss_mb: number; threads: number }
const configs = {
  ours: () => runOurs<Result>('engine_step', stepEnv),
  torch_default: () => runTorch<Result>('torch_step', { ...stepEnv, GLIBC_TUNABLES: '' }),
  torch_tuned: () => runTorch<Result>('torch_step', stepEnv),
};
const results: Record<string, Result[]> = { ours: [], torch_default: [], torch_tuned: [] };
for (let r = 0; r < rounds; r++) {
  for (const [name, fn] of Object.entries(configs)) {
    const res = fn();
    console.log(`round ${r + 1} ${name.padEnd(14)} median ${res.median_ms.toFixed(1)} ms  peak RSS ${res.peak_rss_mb.toFixed(0)} MiB  (${res.threads} threads)`);
    results[name].push(res);
  }
}
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
