/**
 * Data-parallel training on torch's c10d (Gloo over 127.0.0.1): two ranks with a batch of one each train
 * like one process with the batch of two (the same parameters after several steps of PSP-Seg S with TR and
 * RL, rank 1 starting from other weights that the broadcast replaces); a rank that dies makes the other fail
 * with a DIST_ERROR within the group's timeout instead of hanging. Sample 1 holds ignored voxels, and with batch
 * Dice the loss sums over the global batch: both need the loss' reduction over the ranks, which a control shows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distributedBackends, loadSafetensors } from '../src/tensor/index.js';
import { freePort } from '../src/util/free_port.js';

const WORKER = fileURLToPath(new URL('./helpers/ddp_step_worker.js', import.meta.url));
const skip = !distributedBackends().includes('gloo') && 'the addon was built without c10d Gloo (libgloo-dev missing)';

interface Run { code: number | null; stdout: string; stderr: string; ms: number }
function run(args: object): Promise<Run> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WORKER, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - t0 }));
  });
}

/** The largest difference between the parameters of two runs' files. */
function largestDifference(dir: string, x: string, y: string): number {
  const [a, b] = [x, y].map((n) => loadSafetensors(join(dir, `${n}.safetensors`)).tensors);
  assert.equal(a!.size, b!.size);
  let worst = 0;
  for (const [name, ref] of a!) {
    const p = ref.toTypedArray<'float32'>(), q = b!.get(name)!.toTypedArray<'float32'>();
    for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs(p[i]! - q[i]!));
  }
  for (const m of [a, b]) for (const t of m!.values()) t.dispose();
  return worst;
}

/** One process with the batch of two, and two ranks with one sample each, side by side. */
async function trainBoth(dir: string, o: { batchDice: boolean; localLoss?: boolean }, steps = 3) {
  const port = await freePort();
  const runs = await Promise.all([
    run({ rank: 0, worldSize: 1, port: 0, steps, out: join(dir, 'single.safetensors'), ...o }),
    run({ rank: 0, worldSize: 2, port, steps, out: join(dir, 'rank0.safetensors'), ...o }),
    run({ rank: 1, worldSize: 2, port, steps, out: join(dir, 'rank1.safetensors'), ...o }),
  ]);
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  const exchanged = runs.slice(1).map((r) => (JSON.parse(r.stdout.trim().split('\n').pop()!) as { exchanged: { broadcast: number; gradients: number } }).exchanged);
  return { exchanged, vsSingle: largestDifference(dir, 'single', 'rank0'), betweenRanks: largestDifference(dir, 'rank0', 'rank1') };
}

for (const batchDice of [false, true]) {
  test(`2 ranks x batch 1 train PSP-Seg S (TR, RL${batchDice ? ', batch Dice' : ''}) like 1 process x batch 2`, { skip, timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pspseg-ddp-'));
    try {
      const r = await trainBoth(dir, { batchDice });
      assert.ok(r.vsSingle <= 1e-5, `largest difference from one process: ${r.vsSingle}`);
      assert.ok(r.betweenRanks <= 1e-6, `the ranks' parameters differ by ${r.betweenRanks}`);
      // every float32 parameter crossed once for the broadcast and once for the gradients (5,369,416 in S)
      for (const e of r.exchanged) {
        assert.equal(e.broadcast, 4 * 5_369_416);
        assert.equal(e.gradients, 4 * 5_369_416);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('control: without the loss\' reduction over ranks, batch Dice and unequal counts train differently', { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pspseg-ddp-'));
  try {
    const r = await trainBoth(dir, { batchDice: true, localLoss: true });
    assert.ok(r.vsSingle > 1e-4, `only ${r.vsSingle} from one process: the test could not tell`);
    assert.ok(r.betweenRanks <= 1e-6, 'the ranks still agree with each other (averaged gradients)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the ranks compare their architectures: equal passes, a difference stops every rank naming the one that differs', { skip, timeout: 60_000 }, async () => {
  for (const architecture of ['same', 'differ'] as const) {
    const port = await freePort();
    const [r0, r1] = await Promise.all([0, 1].map((rank) => run({ rank, worldSize: 2, port, steps: 0, out: '', architecture })));
    for (const r of [r0!, r1!]) {
      if (architecture === 'same') assert.equal(r.code, 0, r.stderr);
      else {
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /epoch 3: rank\(s\) 1 differ from rank 0 \(another architecture/);
      }
    }
  }
});

test('a rank that dies: the other fails with DIST_ERROR within the timeout, no hang', { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pspseg-ddp-'));
  try {
    const port = await freePort(), timeoutMs = 20_000;
    const [r0, r1] = await Promise.all([
      run({ rank: 0, worldSize: 2, port, steps: 3, out: join(dir, 'rank0.safetensors'), timeoutMs }),
      run({ rank: 1, worldSize: 2, port, steps: 3, out: join(dir, 'rank1.safetensors'), timeoutMs, dieAtStep: 1 }),
    ]);
    assert.equal(r1.code, null, 'rank 1 was killed');
    assert.notEqual(r0.code, 0);
    assert.match(r0.stderr, /DIST_ERROR|failed on rank 0 of 2/);
    assert.ok(r0.ms < timeoutMs + 60_000, `rank 0 took ${r0.ms} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
