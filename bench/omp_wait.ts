/**
 * How long libgomp's threads wait for the next parallel region (src/tensor/native.ts sets the default):
 * the PSP-Seg S training step (bench/method_step.ts, the trainer's step) at the demo's patch, batch 2,
 * under each setting, each in its own process, on an idle machine and then with one CPU-bound process
 * competing (a Node busy loop). Settings: sleep at once (OMP_WAIT_POLICY=passive, GOMP_SPINCOUNT=0),
 * spin 1000 rounds (the default), spin 3000, spin 30000.
 * Env: BENCH_PATCH (32,48,32), BENCH_WARMUP (2), BENCH_STEPS (8). BENCH_SMOKE=1: patch 16,16,16, 1 step
 * without warm-up per setting on one engine thread (PSPSEG_THREADS=1 unless set: no thread then waits,
 * so the settings make no difference, but every one runs), to check that it runs. Last line: one JSON object, median ms per setting
 * ({idle,busy}_{sleep,spin_1000,spin_3000,spin_30000}_ms), patch, batch, cpu.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pspArchitecture, saveArchitecture } from '../src/models/index.js';
import { describeCpu } from '../src/util/cpu_info.js';
import { numberSetting, smoke, smokeChildEnv } from './smoke.js';

const here = dirname(fileURLToPath(import.meta.url));
const patch = (process.env.BENCH_PATCH ?? (smoke ? '16,16,16' : '32,48,32')).split(',').map(Number);
const warmup = numberSetting('BENCH_WARMUP', 2, 0), steps = numberSetting('BENCH_STEPS', 8, 1);
const smokeEnv = smokeChildEnv({ PSPSEG_THREADS: '1' });
const dir = mkdtempSync(join(tmpdir(), 'pspseg-omp-wait-'));
const arch = join(dir, 'psp_s.json');
saveArchitecture(arch, pspArchitecture({ variant: 'S', inChannels: 1, classes: 3, deepSupervision: true }));

const settings: Record<string, Record<string, string>> = {
  sleep: { OMP_WAIT_POLICY: 'passive', GOMP_SPINCOUNT: '0' },
  spin_1000: { OMP_WAIT_POLICY: 'passive', GOMP_SPINCOUNT: '1000' },
  spin_3000: { OMP_WAIT_POLICY: 'passive', GOMP_SPINCOUNT: '3000' },
  spin_30000: { OMP_WAIT_POLICY: 'passive', GOMP_SPINCOUNT: '30000' },
};
function step(env: Record<string, string>): number {
  const r = spawnSync(process.execPath, [join(here, 'method_step.js'), JSON.stringify({ architecture: arch, patch, batch: 2, warmup, steps })],
    { env: { ...process.env, ...smokeEnv, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`method_step failed: ${r.stderr}`);
  return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { median_ms: number }).median_ms;
}
const result: Record<string, number> = {};
for (const busy of [false, true]) {
  const hog = busy ? spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }) : null;
  try {
    for (const [name, env] of Object.entries(settings)) {
      const ms = step(env);
      result[`${busy ? 'busy' : 'idle'}_${name}_ms`] = ms;
      console.log(`${busy ? 'one competing process' : 'idle'}  ${name.padEnd(10)} ${ms.toFixed(1)} ms per step`);
    }
  } finally { hog?.kill(); }
}
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ ...result, patch, batch: 2, cpu: describeCpu() }));
