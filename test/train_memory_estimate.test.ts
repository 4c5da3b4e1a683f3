/**
 * The memory guard's estimate of a training step (src/models/step_memory.ts) against the step itself:
 * PSP-Seg S at 64^3, batch 2, the trainer's step (bench/method_step.ts, in its own process so that its peak
 * is its own). The estimate must cover the measured peak resident memory and be at most 25% above it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pspArchitecture, saveArchitecture } from '../src/models/index.js';
import { tempDir } from './helpers.js';

const STEP = fileURLToPath(new URL('../bench/method_step.js', import.meta.url));

test('the step estimate covers PSP-Seg S\'s measured peak at 64^3 and is within 25% above it', (t) => {
  const dir = tempDir(t, 'pspseg-memory-estimate-');
  const file = join(dir, 'psp_s.json');
  saveArchitecture(file, pspArchitecture({ variant: 'S', inChannels: 1, classes: 3, deepSupervision: true }));
  const r = spawnSync(process.execPath, [STEP, JSON.stringify({ architecture: file, patch: [64, 64, 64], batch: 2, warmup: 1, steps: 3 })],
    { env: { ...process.env, PSPSEG_MEMORY: 'off' }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout.trim().split('\n').pop()!) as { estimate_mb: number; peak_rss_mb: number };
  const ratio = m.estimate_mb / m.peak_rss_mb;
  assert.ok(ratio >= 1 && ratio <= 1.25, `estimate ${m.estimate_mb} MB, measured peak ${m.peak_rss_mb} MB (x${ratio.toFixed(3)})`);
});
