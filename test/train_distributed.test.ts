/**
 * `pspseg train --nproc-per-node 2` (c10d Gloo over 127.0.0.1) on 10 hippocampus cases: PSP-Seg S with TR,
 * RL and a pruning event trains to the end, the ranks' architectures compared every epoch (a mismatch would
 * stop the run), rank 0 writing the same files a single process writes. A rank killed with SIGKILL stops the
 * group with a message naming it, and the run continues from its last checkpoint on one process (the
 * checkpoints are interchangeable).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unreachableHostname } from '../src/cli/commands/train_launch.js';
import { distributedBackends } from '../src/tensor/index.js';
import { hippocampusSubset } from './helpers/train_data.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const skip = !distributedBackends().includes('gloo') && 'the addon was built without c10d Gloo (libgloo-dev missing)';
const ARGS = ['--arch', 'psp', '--variant', 'S', '--patch', '32,32,32', '--batch', '2', '--iterations', '2', '--val-iterations', '1', '--workers', '1', '--quiet',
  '--prune-window', '2', '--prune-calibration-batches', '2', '--prune-stop-fraction', '1', '--prune-delta', '1', '--prune-monitor', 'tr'];

interface Run { code: number | null; out: string; err: string }
function train(args: string[], onLine?: (line: string, child: ChildProcess) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'train', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PSPSEG_DIST_TIMEOUT: '60' } });
    let out = '', err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      for (const l of String(d).split('\n')) if (l) onLine?.(l, child);
    });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

const records = (dir: string) => readFileSync(join(dir, 'training_log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type?: string; kind?: string; epoch: number });

test('2 ranks: PSP-Seg S with TR, RL and pruning trains; rank 0 writes the run', { skip, timeout: 600_000 }, async () => {
  const workDir = await hippocampusSubset(10);
  const r = await train([workDir, ...ARGS, '--epochs', '4', '--name', 'ddp', '--nproc-per-node', '2']);
  assert.equal(r.code, 0, r.err + r.out);
  assert.match(r.out, /data-parallel: 2 ranks \(c10d, Gloo\), batch 2 split into 1 per rank/);
  const dir = join(workDir, 'models', 'ddp', 'fold_0');
  const log = records(dir);
  assert.equal(log.filter((l) => l.type === undefined).length, 4);
  assert.ok(log.some((l) => l.type === 'pruning' && l.kind === 'masked'), 'a pruning event');
  const files = readdirSync(dir);
  for (const f of ['config.json', 'architecture.json', 'checkpoint_final.safetensors', 'pruning.svg', 'pruning_summary.json', 'progress.svg']) assert.ok(files.includes(f), f);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { runtime: { ranks: number } };
  assert.equal(config.runtime.ranks, 2);
  // pspseg model shows a rank's memory for the fold
  const shown = execFileSync(process.execPath, [CLI, 'model', '--from', dir, '--json'], { encoding: 'utf8' }).trim().split('\n').pop()!;
  assert.deepEqual((({ batch, ranks, batchPerRank }) => ({ batch, ranks, batchPerRank }))(JSON.parse(shown) as Record<string, number>), { batch: 2, ranks: 2, batchPerRank: 1 });

  // a batch the ranks cannot split is refused before --force clears the finished run
  const before = readFileSync(join(dir, 'checkpoint_final.safetensors'));
  const bad = await train([workDir, ...ARGS.map((a, i) => (ARGS[i - 1] === '--batch' ? '3' : a)), '--epochs', '4', '--name', 'ddp', '--force', '--nproc-per-node', '2']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /--batch 3 cannot be split evenly over 2 ranks/);
  assert.deepEqual(readFileSync(join(dir, 'checkpoint_final.safetensors')), before, 'the run is still there');
  assert.ok(existsSync(join(dir, 'config.json')));
});

test('the launcher: interrupted, it stops its ranks and exits with 128 + the signal; --nnodes > 1 needs an address other machines reach', { skip, timeout: 600_000 }, async () => {
  const workDir = await hippocampusSubset(10);
  let pids: number[] = [];
  const r = await train([workDir, ...ARGS, '--epochs', '50', '--name', 'ddp_int', '--nproc-per-node', '2'], (line, launcher) => {
    if (!pids.length && /^epoch 1\/50 /.test(line)) {
      pids = childrenOf(launcher.pid!);
      launcher.kill('SIGINT');
    }
  });
  assert.equal(pids.length, 2, 'two ranks were running');
  assert.equal(r.code, 130, r.err);
  assert.match(r.err, /interrupted \(SIGINT\); stopping the other ranks/);
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), 'rank process is gone');

  assert.match((await unreachableHostname({}, 'localhost'))!, /^this machine's hostname 'localhost' resolves to (127\.0\.0\.1|::1), which other machines cannot reach$/);
  assert.equal(await unreachableHostname({ GLOO_SOCKET_IFNAME: 'eth0' }, 'localhost'), null);
  assert.match((await unreachableHostname({}, 'no-such-host.invalid'))!, /does not resolve/);
  // where this machine's hostname is the loopback's (this VM's), a second node is refused at once
  if (await unreachableHostname({})) {
    const nodes = await train([workDir, ...ARGS, '--epochs', '1', '--name', 'ddp_nodes', '--nnodes', '2', '--master', '192.0.2.1:29500']);
    assert.equal(nodes.code, 2, nodes.err);
    assert.match(nodes.err, /--nnodes 2: this machine's hostname '.*' resolves to .*; set GLOO_SOCKET_IFNAME/);
  }
});

test('kill -9 of rank 1: the group stops naming it; --continue on one process finishes the run', { skip, timeout: 600_000 }, async () => {
  const workDir = await hippocampusSubset(10);
  const dir = join(workDir, 'models', 'ddp_kill', 'fold_0');
  let killed = 0;
  const r = await train([workDir, ...ARGS, '--epochs', '4', '--name', 'ddp_kill', '--force', '--nproc-per-node', '2'], (line, launcher) => {
    // after epoch 2's line (its checkpoint is written before the line), kill rank 1
    if (!killed && /^epoch 2\/4 /.test(line)) killed = killRank(launcher.pid!, 1);
  });
  assert.ok(killed > 0, 'rank 1 was found and killed');
  assert.notEqual(r.code, 0);
  assert.match(r.err, new RegExp(`rank 1 \\(pid ${killed}\\) was killed by SIGKILL`));
  assert.ok(existsSync(join(dir, 'checkpoint_latest.safetensors')));
  const c = await train([workDir, ...ARGS.filter((a) => a !== '--quiet'), '--name', 'ddp_kill', '--continue', '--quiet']);
  assert.equal(c.code, 0, c.err + c.out);
  assert.match(c.out, /continuing from .*checkpoint_latest/);
  assert.equal(records(dir).filter((l) => l.type === undefined).length, 4);
  assert.ok(existsSync(join(dir, 'checkpoint_final.safetensors')));
});

const childrenOf = (pid: number): number[] => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

/** Kills (SIGKILL) the launcher's child whose RANK is `rank`; returns its pid (0 when not found). */
function killRank(launcher: number, rank: number): number {
  for (const pid of childrenOf(launcher)) {
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    if (env.includes(`RANK=${rank}`)) {
      process.kill(pid, 'SIGKILL');
      return pid;
    }
  }
  return 0;
}
