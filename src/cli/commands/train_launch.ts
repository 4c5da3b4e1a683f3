/**
 * `pspseg train --nproc-per-node N [--nnodes M --node-rank R --master HOST:PORT]`: starts this machine's N
 * worker processes, as torchrun does: each runs the same command with RANK, WORLD_SIZE, LOCAL_RANK,
 * MASTER_ADDR and MASTER_PORT set (src/train/data_parallel.ts joins them into one c10d group), and CPU workers
 * share the cores (PSPSEG_THREADS, unless set). Rank 0 prints for the group. When a worker fails, the others
 * are stopped (SIGTERM, then SIGKILL after STOP_GRACE_MS; a second Ctrl-C kills at once) and the message names
 * the rank; the exit code is non-zero. With --nnodes > 1 the launcher first checks that other machines can reach
 * this one (GLOO_SOCKET_IFNAME, or a hostname that does not resolve to the loopback).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { availableParallelism, constants, hostname } from 'node:os';
import { freePort } from '../../util/free_port.js';

export interface LaunchOptions {
  nprocPerNode: number; nnodes: number; nodeRank: number; master?: string;
  /** More environment for the workers. */
  env?: Record<string, string>;
}

/** The dataset's work folder, prepared by the launcher before it starts the workers. */
export const PREPARED_WORKDIR_ENV = 'PSPSEG_PREPARED_WORKDIR';

/** How long stopped workers get to exit before they are killed. */
export const STOP_GRACE_MS = 10_000;

const isLoopback = (host: string): boolean => host === 'localhost' || host.startsWith('127.') || host === '::1';

/**
 * Null, or why other machines could not reach this one's ranks: without GLOO_SOCKET_IFNAME a rank listens on
 * the address its hostname resolves to, and Debian maps the hostname to 127.0.1.1 (the group would wait for
 * connections that never come, until the timeout).
 */
export async function unreachableHostname(env: NodeJS.ProcessEnv = process.env, name = hostname()): Promise<string | null> {
  if (env.GLOO_SOCKET_IFNAME) return null;
  let address: string;
  try { ({ address } = await lookup(name)); } catch { return `this machine's hostname '${name}' does not resolve`; }
  return isLoopback(address) ? `this machine's hostname '${name}' resolves to ${address}, which other machines cannot reach` : null;
}

/**
 * Runs the workers to the end; returns the exit code: 0 when every worker succeeded, 128 + the signal's number
 * when the launcher was interrupted (as a shell reports it), else 1.
 */
export async function launchWorkers(o: LaunchOptions): Promise<number> {
  const [addr, port] = o.master ? [o.master.slice(0, o.master.lastIndexOf(':')), o.master.slice(o.master.lastIndexOf(':') + 1)] : ['127.0.0.1', String(await freePort())];
  // (a master on the loopback keeps every node on this machine, and the ranks bind to the loopback too)
  if (o.nnodes > 1 && !isLoopback(addr)) {
    const why = await unreachableHostname({ ...process.env, ...o.env });
    if (why) {
      console.error(`pspseg train: --nnodes ${o.nnodes}: ${why}; set GLOO_SOCKET_IFNAME to the network interface the machines share (e.g. GLOO_SOCKET_IFNAME=eth0, see 'ip -brief address')`);
      return 2;
    }
  }
  const world = o.nprocPerNode * o.nnodes;
  const threads = process.env.PSPSEG_THREADS ?? String(Math.max(1, Math.floor(availableParallelism() / o.nprocPerNode)));
  console.log(`data-parallel: ${o.nprocPerNode} worker(s) on this machine (node ${o.nodeRank} of ${o.nnodes}), ${world} rank(s) in all, ` +
    `rendezvous ${addr}:${port}, ${threads} engine thread(s) each`);
  const children: { rank: number; child: ChildProcess }[] = [];
  let failure: string | null = null;
  let interrupted: NodeJS.Signals | null = null;
  let killTimer: NodeJS.Timeout | undefined;
  const running = () => children.filter((c) => c.child.exitCode === null && c.child.signalCode === null);
  const killAll = () => { for (const c of running()) c.child.kill('SIGKILL'); };
  const stopOthers = (reason: string) => {
    if (failure) return;
    failure = reason;
    console.error(`pspseg train: ${reason}; stopping the other ranks on this machine`);
    for (const c of running()) c.child.kill('SIGTERM');
    // a rank blocked in a collective does not run its SIGTERM handler until the collective times out
    killTimer = setTimeout(killAll, STOP_GRACE_MS);
    killTimer.unref();
  };
  // a second interrupt kills at once
  const forward = (signal: NodeJS.Signals) => () => {
    if (interrupted) { killAll(); return; }
    interrupted = signal;
    stopOthers(`interrupted (${signal})`);
  };
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  try {
    const exits = Array.from({ length: o.nprocPerNode }, (_, local) => {
      const rank = o.nodeRank * o.nprocPerNode + local;
      // the same Node options (e.g. --max-old-space-size) and arguments as this process
      const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
        env: {
          ...process.env, ...o.env, RANK: String(rank), WORLD_SIZE: String(world), LOCAL_RANK: String(local), LOCAL_WORLD_SIZE: String(o.nprocPerNode),
          MASTER_ADDR: addr, MASTER_PORT: port, PSPSEG_THREADS: threads,
        },
        // rank 0 speaks for the group; the others' errors still reach stderr
        stdio: ['ignore', rank === 0 ? 'inherit' : 'ignore', 'inherit'],
      });
      children.push({ rank, child });
      return new Promise<number>((resolve) => {
        child.on('error', (err) => { stopOthers(`rank ${rank} could not start: ${err.message}`); resolve(1); });
        child.on('exit', (code, signal) => {
          if (code !== 0) stopOthers(`rank ${rank} (pid ${child.pid}) ${signal ? `was killed by ${signal}` : `exited with code ${code}`}`);
          resolve(code ?? 1);
        });
      });
    });
    const codes = await Promise.all(exits);
    if (interrupted) return 128 + constants.signals[interrupted];
    return codes.every((c) => c === 0) ? 0 : 1;
  } finally {
    clearTimeout(killTimer);
    for (const [s, h] of handlers) process.off(s, h);
  }
}
