/**
 * Every `bench:*` script of package.json in its smoke mode (BENCH_SMOKE=1: tiny sizes, a few seconds),
 * so that a benchmark broken by a change fails here rather than at its next hand run: its compiled
 * script runs in a child process from a temporary folder and must exit 0, print as its last line its
 * JSON object with the figures it promises (so one that silently measures nothing fails too), and
 * write nothing into the repository or the shared data. The list of benchmarks comes from
 * package.json: a new `bench:*` script without an entry in EXPECTED fails.
 * The PyTorch side of engine, model and predict needs python3-torch (npm test's setup installs it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { dataRoot, repoRoot, tempDir } from './helpers.js';

type Result = Record<string, unknown>;

interface Expected {
  /** Figures that must be finite numbers > 0 (times, counts, rates, sizes): zero or missing means nothing was measured. */
  positive: string[];
  /** Fields that must be there (not null), whatever their value. */
  present?: string[];
  /** What the bench checks itself but only reports (it exits 0 either way). */
  check?: (r: Result) => void;
  /** Extra environment, given the temporary work folder. */
  env?: (work: string) => Record<string, string>;
  /** Arguments after the script (a variant of a bench:* script: VARIANTS). */
  args?: string[];
}

/** The bench's own threshold for "both sides did the same step" (bench/model.ts). */
const SAME_STEP = 1e-3;
const MODEL_ROWS = ['plain', 'psp_s', 'psp_s_pruned', 'psp_s_1branch', 'psp_s_retrained', 'psp_s_equal_time', 'psp_s_pruned_equal_time'];
const OMP_SETTINGS = ['sleep', 'spin_1000', 'spin_3000', 'spin_30000'];

const EXPECTED: Record<string, Expected> = {
  'bench:engine': {
    positive: ['ours_ms', 'torch_default_ms', 'torch_tuned_ms', 'ratio_vs_tuned', 'ours_peak_rss_mb', 'torch_tuned_peak_rss_mb'],
    present: ['cpu'],
  },
  'bench:model': {
    positive: ['psp_s_ms', 'torch_psp_s_ms', 'ratio', 'plain_ms', 'torch_plain_ms', 'params_psp_s', 'params_plain', 'psp_s_peak_rss_mb', 'torch_psp_s_peak_rss_mb'],
    present: ['psp_s_torch_agreement', 'plain_torch_agreement'],
    check: (r) => {
      for (const k of ['psp_s_torch_agreement', 'plain_torch_agreement'])
        assert.ok((r[k] as number) <= SAME_STEP, `${k} ${r[k]}: pspseg and PyTorch no longer do the same training step`);
    },
  },
  'bench:data': { positive: ['preprocess_s', 'cases', 'loader_batches_per_s'], present: ['cpu'] },
  'bench:eval': { positive: ['read_s', 'tumour_s', 'brain_s', 'classes'], present: ['shape', 'cpu'] },
  'bench:predict': {
    positive: ['cases', 'ours_s_per_case', 'torch_s_per_case', 'ratio', 'ours_no_tta_s_per_case', 'torch_no_tta_s_per_case', 'ours_pipeline_s_per_case', 'peak_rss_mb'],
    present: ['argmax_agreement', 'class_fractions'],
    // the bench's own warning level: below it the two sliding windows are not the same procedure
    check: (r) => assert.ok((r.argmax_agreement as number) >= 0.999, `argmax_agreement ${r.argmax_agreement}: pspseg's and PyTorch's predictions differ`),
  },
  'bench:train': { positive: ['epochs', 'iterations', 's_per_iteration'], present: ['data_wait_pct'] },
  'bench:prune': {
    positive: ['params_before', 'params_after', 'step_ms_before', 'step_ms_after', 'step_ms_fresh_pruned', 'search_s_per_batch_step_patch', 'run_epoch_s'],
    present: ['events', 'search_s_per_event'],
  },
  'bench:method': {
    positive: [],
    present: [...MODEL_ROWS, 'paper_config', 'budget', 'wall_min'],
    check: (r) => {
      // A model that fails becomes a row saying so, and the run still exits 0.
      assert.equal(r.failures, undefined, `models failed: ${JSON.stringify(r.failures)}`);
      for (const row of MODEL_ROWS) {
        const m = r[row] as Result;
        for (const k of ['params', 'step_ms', 'peak_mb', 'epoch_s', 'epochs', 'epochs_total_s', 'val_cases']) assertPositive(m, k, row);
      }
      const paper = r.paper_config as Result;
      assertPositive(paper, 'cube', 'paper_config');
      for (const net of ['plain', 'psp_s', 'psp_s_pruned']) assertPositive(paper[net] as Result, 'step_ms', `paper_config.${net}`);
    },
    env: (work) => ({ BENCH_OUT: join(work, 'method_smoke.md') }),
  },
  'bench:ddp': {
    positive: ['speedup_two_processes'],
    present: ['one_process', 'two_processes', 'two_nodes', 'one_sample_one_thread', 'patch', 'cpu'],
    check: (r) => {
      const two = r.two_processes as Result;
      for (const k of ['step_ms', 'samples_per_s', 'bytes_per_step', 'collectives_per_step']) assertPositive(two, k, 'two_processes');
    },
  },
  'bench:omp': {
    positive: ['idle', 'busy'].flatMap((load) => OMP_SETTINGS.map((s) => `${load}_${s}_ms`)),
    present: ['patch', 'cpu'],
  },
  'bench:deploy': {
    positive: ['libtorch_s', 'ort_node_s', 'wasm_node_1t_s', 'wasm_node_2t_s', 'model_mb', 'unpruned_model_mb'],
    present: ['cpu', 'rows'],
    // every engine that ran must give libtorch's labels (the bench only reports it)
    check: (r) => {
      for (const row of r.rows as { engine: string; model: string; agreement: number | null }[]) {
        if (row.agreement !== null) assert.ok(row.agreement >= 0.999, `${row.model} ${row.engine}: labels equal libtorch's on only ${row.agreement}`);
      }
    },
  },
};

/** Runs of a bench:* script with arguments, named as a user types them; each its own smoke run. */
const VARIANTS: Record<string, Expected & { of: string }> = {
  'bench:model -- --precision bf16': {
    of: 'bench:model', args: ['--precision', 'bf16'],
    positive: ['psp_s_ms', 'torch_psp_s_ms', 'ratio', 'psp_s_fp32_ms', 'torch_psp_s_fp32_ms', 'speedup_over_fp32', 'torch_speedup_over_fp32'],
    present: ['psp_s_torch_agreement', 'precision'],
    check: (r) => {
      assert.equal(r.precision, 'bf16');
      assert.equal(r.plain_ms, undefined, 'PlainUNet is left out under autocast');
      // bench/model.ts's own threshold under autocast (sums in a different order, rounded to bfloat16)
      assert.ok((r.psp_s_torch_agreement as number) <= 3e-2, `psp_s_torch_agreement ${r.psp_s_torch_agreement}: not the same bf16 step`);
    },
  },
};

function assertPositive(r: Result | null | undefined, key: string, where: string): void {
  const v = r?.[key];
  assert.ok(typeof v === 'number' && Number.isFinite(v) && v > 0, `${where}.${key} is ${JSON.stringify(v)}, not a positive number`);
}

/** The `bench:*` scripts of package.json and the compiled script each one runs. */
function benchScripts(): { name: string; script: string }[] {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  return Object.entries(pkg.scripts).filter(([name]) => name.startsWith('bench:')).map(([name, command]) => {
    const m = /\bnode (dist\/bench\/\w+\.js)\b/.exec(command);
    if (!m) throw new Error(`package.json: script ${name} ("${command}") runs no dist/bench/*.js`);
    return { name, script: m[1]! };
  });
}

/** Every file and folder under root (its path and mtime), the top-level entries in `skip` left out. */
function snapshot(root: string, skip: readonly string[] = []): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      const rel = relative(root, path);
      if (skip.includes(rel)) continue;
      out.set(rel, statSync(path).mtimeMs);
      if (e.isDirectory()) walk(path);
    }
  };
  walk(root);
  return out;
}

/** Paths made, changed or removed between two snapshots. */
function changes(before: Map<string, number>, after: Map<string, number>): string[] {
  const madeOrChanged = [...after].filter(([path, mtime]) => before.get(path) !== mtime).map(([path]) => path);
  return [...madeOrChanged, ...[...before.keys()].filter((path) => !after.has(path)).map((path) => `${path} (removed)`)];
}

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; seconds: number }

/** Runs `node script` with env in cwd; past timeoutMs its whole process group (Python, model children) is killed. */
function runBench(script: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number): Promise<Run> {
  return new Promise((resolveRun, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [join(repoRoot, script), ...args], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
    const killGroup = () => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ } };
    const timer = setTimeout(killGroup, timeoutMs);
    process.once('exit', killGroup); // the test runner stopped: no bench left running on its own
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.off('exit', killGroup);
      resolveRun({ code, signal, stdout, stderr, seconds: (performance.now() - start) / 1000 });
    });
  });
}

const tail = (s: string, lines = 40) => s.trimEnd().split('\n').slice(-lines).join('\n');
const benches = benchScripts();
// Generous: a smoke run takes seconds here; the slowest CI machines are about 4x slower.
const TIMEOUT_MS = 300_000;

test('every bench:* script of package.json has smoke expectations here, and every expectation a script', () => {
  assert.ok(benches.length > 0, 'package.json has no bench:* script');
  assert.deepEqual(benches.map((b) => b.name).filter((n) => !(n in EXPECTED)), [], 'bench:* scripts without an entry in EXPECTED (test/bench_smoke.test.ts)');
  assert.deepEqual(Object.keys(EXPECTED).filter((n) => !benches.some((b) => b.name === n)), [], 'EXPECTED entries for scripts package.json no longer has');
});

const runs = [
  ...benches.map((b) => ({ ...b, expected: EXPECTED[b.name] })),
  ...Object.entries(VARIANTS).map(([name, v]) => ({ name, script: benches.find((b) => b.name === v.of)?.script ?? `(no ${v.of})`, expected: v })),
];
for (const { name, script, expected } of runs) {
  test(`${name} runs in smoke mode (BENCH_SMOKE=1) and prints its JSON result`, async (t) => {
    assert.ok(expected, `${name}: no entry in EXPECTED`);
    const work = tempDir(t, 'pspseg-bench-smoke-');
    // The caller's own BENCH_* settings would change the sizes: only the smoke defaults count here.
    const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BENCH_')));
    Object.assign(env, {
      BENCH_SMOKE: '1', TMPDIR: work, PSPSEG_WORK: join(work, 'pspseg_work'), PSPSEG_DATA: dataRoot,
      PYTHONDONTWRITEBYTECODE: '1', // the PyTorch scripts would leave __pycache__ folders in the repository
      ...expected.env?.(work),
    });
    const repoSkip = ['.git', 'node_modules', 'dist', join('native', 'build')];
    const repoBefore = snapshot(repoRoot, repoSkip), dataBefore = snapshot(dataRoot);

    const run = await runBench(script, expected.args ?? [], env, work, TIMEOUT_MS);
    t.diagnostic(`${name}: ${run.seconds.toFixed(1)} s`);
    const output = `--- stdout (end)\n${tail(run.stdout)}\n--- stderr (end)\n${tail(run.stderr)}`;
    assert.ok(run.code === 0, `${name} (${script}) ${run.signal ? `was killed (${run.signal}${run.signal === 'SIGKILL' ? `, past ${TIMEOUT_MS / 1000} s?` : ''})` : `exited with ${run.code}`}\n${output}`);

    const last = run.stdout.trimEnd().split('\n').pop() ?? '';
    let result: Result;
    try {
      result = JSON.parse(last) as Result;
    } catch {
      assert.fail(`${name}: the last line is not JSON: ${last}\n${output}`);
    }
    assert.ok(result !== null && typeof result === 'object' && !Array.isArray(result), `${name}: the last line is not a JSON object: ${last}`);
    for (const k of expected.positive) assertPositive(result, k, name);
    for (const k of expected.present ?? []) assert.ok(result[k] !== undefined && result[k] !== null, `${name}: no field ${k} in ${last}`);
    expected.check?.(result);

    assert.deepEqual(changes(repoBefore, snapshot(repoRoot, repoSkip)), [], `${name} wrote into the repository`);
    assert.deepEqual(changes(dataBefore, snapshot(dataRoot)), [], `${name} wrote into the shared data`);
  });
}
