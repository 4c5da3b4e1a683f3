/**
 * `pspseg train --nproc-per-node N [--nnodes M --node-rank R --master HOST:PORT]`: starts this machine's N
 * worker processes, as torchrun does: each runs the same command with RANK, WORLD_SIZE, LOCAL_RANK,
 * MASTER_ADDR and MASTER_PORT set (src/train/data_parallel.ts joins them into one c10d group), and CPU workers
 * share the cores (PSPSEG_THREADS, unless set). Rank 0 prints for the group. When a worker fails, the others
 * are stopped and the message names the rank; the exit code is non-zero.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { freePort } from '../../util/free_port.js';

export interface LaunchOptions {
  nprocPerNode: number; nnodes: number; nodeRank: number; master?: string;
  /** More environment for the workers. */
  env?: Record<string, string>;
}

/** The dataset's work folder, prepared by the launcher before it starts the workers. */
export const PREPARED_WORKDIR_ENV = 'PSPSEG_PREPARED_WORKDIR';

/** Runs the workers to the end; returns the exit code (0 when every worker succeeded). */
export async function launchWorkers(o: LaunchOptions): Promise<number> {
  const [addr, port] = o.master ? [o.master.slice(0, o.master.lastIndexOf(':')), o.master.slice(o.master.lastIndexOf(':') + 1)] : ['127.0.0.1', String(await freePort())];
  const world = o.nprocPerNode * o.nnodes;
  const threads = process.env.PSPSEG_THREADS ?? String(Math.max(1, Math.floor(availableParallelism() / o.nprocPerNode)));
  console.log(`data-parallel: ${o.nprocPerNode} worker(s) on this machine (node ${o.nodeRank} of ${o.nnodes}), ${world} rank(s) in all, ` +
    `rendezvous ${addr}:${port}, ${threads} engine thread(s) each`);
  const children: { rank: number; child: ChildProcess }[] = [];
  let failure: string | null = null;
  const stopOthers = (reason: string) => {
    if (failure) return;
    failure = reason;
    console.error(`pspseg train: ${reason}; stopping the other ranks on this machine`);
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGTERM');
  };
  const forward = (signal: NodeJS.Signals) => () => stopOthers(`interrupted (${signal})`);
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  try {
    const exits = Array.from({ length: o.nprocPerNode }, (_, local) => {
      const rank = o.nodeRank * o.nprocPerNode + local;
      const child = spawn(process.execPath, process.argv.slice(1), {
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
    return codes.every((c) => c === 0) ? 0 : 1;
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
  }
}
