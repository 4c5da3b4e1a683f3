/** `pspseg info` names the CPU and its vector extensions, which the README's timings depend on. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseCpuinfo } from '../src/util/cpu_info.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

test('/proc/cpuinfo: model and the vector extensions that matter, in a fixed order', () => {
  const text = 'processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz\n'
    + 'flags\t\t: fpu vme sse4_1 sse4_2 avx2 avx fma avx512f avx512bw avx512_vnni\n\nprocessor\t: 1\nflags\t\t: fpu\n';
  assert.deepEqual(parseCpuinfo(text), { model: 'Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz', vectorExtensions: ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512_vnni'] });
  assert.deepEqual(parseCpuinfo('model name : old\nflags : sse4_2 avx avx2 fma'), { model: 'old', vectorExtensions: ['sse4_2', 'avx', 'avx2', 'fma'] });
});

test('pspseg info prints the CPU model and its vector extensions (text and JSON)', () => {
  const r = spawnSync(process.execPath, [CLI, 'info'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const line = r.stdout.split('\n').find((l) => l.startsWith('cpu '));
  assert.ok(line, r.stdout);
  assert.ok(line.includes(`${cpus().length} core(s)`), line);
  if (existsSync('/proc/cpuinfo')) {
    const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').split(/\s+/));
    for (const f of ['avx2', 'avx512f']) assert.equal(line.includes(` ${f}`), flags.has(f), `${f} in '${line}'`);
  }
  const json = JSON.parse(spawnSync(process.execPath, [CLI, 'info', '--json'], { encoding: 'utf8' }).stdout);
  assert.equal(json.cpu.cores, cpus().length);
  assert.ok(Array.isArray(json.cpu.vectorExtensions));
});

test('OpenMP threads spin 1000 rounds before sleeping unless the user set OMP_WAIT_POLICY or GOMP_SPINCOUNT (pspseg info shows it)', () => {
  const waitLine = (extra: Record<string, string>) => {
    const env: Record<string, string | undefined> = { ...process.env, OMP_WAIT_POLICY: undefined, GOMP_SPINCOUNT: undefined, ...extra };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    const r = spawnSync(process.execPath, [CLI, 'info'], { encoding: 'utf8', env: env as NodeJS.ProcessEnv });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').find((l) => l.startsWith('omp wait '));
  };
  assert.equal(waitLine({}), 'omp wait   OMP_WAIT_POLICY=passive GOMP_SPINCOUNT=1000');
  assert.equal(waitLine({ GOMP_SPINCOUNT: '0' }), 'omp wait   OMP_WAIT_POLICY=(unset) GOMP_SPINCOUNT=0');
  assert.equal(waitLine({ OMP_WAIT_POLICY: 'active' }), 'omp wait   OMP_WAIT_POLICY=active GOMP_SPINCOUNT=(unset)');
});
