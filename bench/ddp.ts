/**
 * Data-parallel training's cost (`npm run bench:ddp`, issue 19): PSP-Seg S's training step at the demo's
 * patch (bench/ddp_step.ts, the trainer's step) with a global batch of 2, as
 *   one_process      1 process x all cores' threads, batch 2 (today's trainer);
 *   two_processes    2 ranks x 1 thread, batch 1 each, c10d Gloo over 127.0.0.1 (`--nproc-per-node 2`);
 *   two_nodes        2 ranks x 1 thread as two machines would meet: the rendezvous and Gloo's connections on
 *                    this machine's network address and interface instead of the loopback (`--nnodes 2 --master
 *                    HOST:PORT` with GLOO_SOCKET_IFNAME),
 *                    both on this machine (a simulation: no second machine, no real network in between);
 *   one_sample_one_thread  1 process x 1 thread, batch 1: what each rank of the two computes, without communication.
 * Each configuration runs in its own processes, rounds alternating, each keeping its best round (rank 0's
 * median step). Reported: step ms, samples/s, the gradient allreduce's ms and share of the step, bytes reduced
 * per step and rank (every float32 gradient once), collectives per step.
 * Env: BENCH_PATCH (32,48,32), BENCH_WARMUP (2), BENCH_STEPS (8), BENCH_ROUNDS (2), PSPSEG_THREADS (all cores, for
 * one_process). BENCH_SMOKE=1: patch 16,16,16, 1 round of 1 step without warm-up. Last line: one JSON object.
 */
import { spawn } from 'node:child_process';
import { availableParallelism, networkInterfaces } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distributedBackends } from '../src/tensor/index.js';
import { describeCpu } from '../src/util/cpu_info.js';
import { numberSetting, smoke } from './smoke.js';
import { freePort } from '../src/util/free_port.js';

const here = dirname(fileURLToPath(import.meta.url));
const patch = (process.env.BENCH_PATCH ?? (smoke ? '16,16,16' : '32,48,32')).split(',').map(Number) as [number, number, number];
const warmup = numberSetting('BENCH_WARMUP', 2, 0), steps = numberSetting('BENCH_STEPS', 8, 1), rounds = numberSetting('BENCH_ROUNDS', 2, 1);
const cores = availableParallelism();
if (!distributedBackends().includes('gloo')) throw new Error('bench:ddp: the addon was built without c10d Gloo (install libgloo-dev, then npm run build:native)');

/** This machine's first non-loopback IPv4 interface and address: where a second machine would reach it. */
const network = Object.entries(networkInterfaces()).flatMap(([name, list]) => (list ?? []).map((i) => ({ name, ...i })))
  .find((i) => i.family === 'IPv4' && !i.internal) ?? null;
const networkAddress = network?.address ?? null;

interface Rank { rank: number; world: number; threads: number; batch: number; step_ms: number; allreduce_ms: number; bytes_per_step: number; collectives_per_step: number }

function rank(arg: object, threads: number): Promise<Rank> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, 'ddp_step.js'), JSON.stringify(arg)], { env: { ...process.env, PSPSEG_THREADS: String(threads) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as Rank) : reject(new Error(`ddp_step exited with ${code}: ${err.trim().split('\n').slice(-3).join(' ')}`))));
  });
}

const CONFIGS: Record<string, { world: number; threads: number; addr: string | null; batch: number; iface?: string }> = {
  one_process: { world: 1, threads: Number(process.env.PSPSEG_THREADS ?? cores), addr: '127.0.0.1', batch: 2 },
  two_processes: { world: 2, threads: 1, addr: '127.0.0.1', batch: 1 },
  // Gloo bound to that interface, as GLOO_SOCKET_IFNAME binds it on machines that meet over a network
  two_nodes: { world: 2, threads: 1, addr: networkAddress, batch: 1, iface: network?.name },
  // what one rank computes, alone: the step of a batch of one on one thread (no communication)
  one_sample_one_thread: { world: 1, threads: 1, addr: '127.0.0.1', batch: 1 },
};
type Name = 'one_process' | 'two_processes' | 'two_nodes' | 'one_sample_one_thread';

async function measure(name: Name): Promise<Rank> {
  const c = CONFIGS[name];
  const port = await freePort('0.0.0.0');
  const ranks = await Promise.all(Array.from({ length: c.world }, (_, r) => rank({
    rank: r, worldSize: c.world, masterAddr: c.addr, iface: c.iface, port, patch, batch: c.batch, warmup, steps,
  }, c.threads)));
  return ranks[0]!;
}

console.log(`bench:ddp on ${describeCpu()}: PSP-Seg S step, patch ${patch.join('x')}, global batch 2, ${steps} steps after ${warmup} warm-up, ${rounds} round(s)`);
const best: Partial<Record<Name, Rank>> = {};
const notes: string[] = [];
const names = (Object.keys(CONFIGS) as Name[]).filter((n) => {
  if (CONFIGS[n].addr !== null) return true;
  notes.push(`${n} left out: this machine has no non-loopback IPv4 address`);
  return false;
});
for (let round = 0; round < rounds; round++)
  for (const name of names) {
    const r = await measure(name);
    console.log(`  round ${round + 1} ${name}: step ${r.step_ms} ms, allreduce ${r.allreduce_ms} ms`);
    if (!best[name] || r.step_ms < best[name]!.step_ms) best[name] = r;
  }

const row = (name: Name) => {
  const r = best[name];
  if (!r) return null;
  return {
    processes: r.world, threads_each: r.threads, batch_each: r.batch, step_ms: r.step_ms, samples_per_s: +((r.world * r.batch * 1000) / r.step_ms).toFixed(2),
    allreduce_ms: r.allreduce_ms, allreduce_share: +(r.allreduce_ms / r.step_ms).toFixed(3), bytes_per_step: r.bytes_per_step, collectives_per_step: r.collectives_per_step,
  };
};
const result = {
  one_process: row('one_process'), two_processes: row('two_processes'), two_nodes: row('two_nodes'), one_sample_one_thread: row('one_sample_one_thread'),
  speedup_two_processes: best.two_processes ? +(best.one_process!.step_ms / best.two_processes.step_ms).toFixed(2) : null,
  patch, global_batch: 2, network_address: CONFIGS.two_nodes.addr, network_interface: CONFIGS.two_nodes.iface ?? null, ...(notes.length ? { notes } : {}), cpu: describeCpu(), smoke,
};
console.log('| configuration | processes x threads | batch each | step ms | samples/s | allreduce ms (share) | MB reduced per step and rank |');
console.log('|---|---|---|---|---|---|---|');
for (const n of names) {
  const r = row(n)!;
  console.log(`| ${n} | ${r.processes} x ${r.threads_each} | ${r.batch_each} | ${r.step_ms} | ${r.samples_per_s} | ${r.allreduce_ms} (${(100 * r.allreduce_share).toFixed(1)}%) | ${(r.bytes_per_step / 2 ** 20).toFixed(1)} |`);
}
console.log(JSON.stringify(result));
