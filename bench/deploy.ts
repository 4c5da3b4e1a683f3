/**
 * Deployment benchmark (issue: the compact model leaves libtorch): per hippocampus case of fold 0's
 * validation, the pruned PSP-Seg S of the demo and an unpruned S, with and without mirroring, through
 * the one inference path (segmentVolumes: nnU-Net preprocessing, Gaussian sliding window, export to the
 * input's grid; what `pspseg predict` runs per case, without its file writes) on each engine, side by
 * side in one run:
 *   libtorch (our addon), onnxruntime-node (CPU, 2 threads), onnxruntime-web's WASM in Node with 1 and
 *   2 threads (child processes), and Chromium (WASM with 2 threads; WebGPU where it runs) through the
 *   browser app's page (bench/deploy_chromium.ts); plus the model files' sizes.
 * Every engine's labels are compared with libtorch's (share of voxels equal).
 *
 * Models: BENCH_PRUNED (a fold folder), else the demo's <work>/models/demo_psp_S/fold_0 when `pspseg demo`
 * ran, else a stand-in: an untrained S with the blocks the demo deleted on seed 0 (21 of 28; accuracy does
 * not matter for speed), at the demo's patch. BENCH_UNPRUNED, else an untrained S at the pruned model's patch (the
 * same windows, so the rows differ by pruning alone). Environment: BENCH_DATASET,
 * BENCH_WORK, BENCH_CASES (default 10; 'all' for the 42), BENCH_ROUNDS (3: libtorch and onnxruntime-node alternate,
 * each keeping its fastest round; the WASM and browser rows run once), BENCH_CHROMIUM=0 to leave the browser out.
 * BENCH_SMOKE=1: one case, models at a quarter of S's channels, in a temporary work folder.
 * Last line: {"libtorch_s", "ort_node_s", "wasm_node_1t_s", "wasm_node_2t_s", "chromium_wasm_2t_s",
 * "chromium_webgpu_s", "chromium_agreement", "model_mb", "cpu", ...}: seconds per case for the pruned S
 * without mirroring (null where an engine could not run, the reason printed above).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { readDataset } from '../src/data/dataset/dataset.js';
import { readDeployedModel } from '../src/infer/deployed_model.js';
import { libtorchWindowForward } from '../src/infer/libtorch_forward.js';
import { loadModelFolder } from '../src/infer/model_folder.js';
import { exportModelFolder } from '../src/infer/onnx_export.js';
import { onnxWindowForward } from '../src/infer/onnx_forward.js';
import type { BlockRef } from '../src/pruning/index.js';
import { foldCases, SPLITS_FILE } from '../src/train/splits.js';
import { describeCpu } from '../src/util/cpu_info.js';
import { engineConfig } from '../src/tensor/index.js';
import { benchPlan, benchWork, makeUntrainedFold } from './bench_fold.js';
import { type BenchCase, type CaseTiming, timeCases } from './deploy_engines.js';
import { chromiumTimings } from './deploy_chromium.js';
import { numberSetting, smoke } from './smoke.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataRoot = process.env.PSPSEG_DATA ?? resolve(repo, '..', 'shared', 'data');
const datasetPath = resolve(process.env.BENCH_DATASET ?? join(dataRoot, 'Task04_Hippocampus'));
const load0 = loadavg();

/** The blocks the demo deleted on seed 0 (its pruning_summary.json): the stand-in's architecture. */
const DEMO_SEED0_DELETED: BlockRef[] = [
  ['enc1', [1, 2, 3]], ['enc2', [0, 1, 2]], ['enc3', [0, 2, 3]], ['enc4', [0, 1, 2]], ['dec3', [0, 1, 3]], ['dec2', [0, 1, 3]], ['dec1', [0, 2, 3]],
].flatMap(([module, blocks]) => (blocks as number[]).map((block) => ({ module: module as string, block })));

const all = readDataset(datasetPath);
const dataset = smoke ? { ...all, cases: all.cases.slice(0, 10) } : all;
const work = benchWork(dataset, 'pspseg-bench-deploy-work-');
const plan = await benchPlan(work, dataset);
const split = await foldCases(join(work, SPLITS_FILE), dataset.cases.map((c) => c.id), 0);
const tiny = smoke ? { channels: [4, 8, 16, 32, 64] } : {};

function fold(envName: string, candidates: string[], make: { name: string; deleted?: BlockRef[]; patchSize?: [number, number, number] }): string {
  if (process.env[envName]) return resolve(process.env[envName]!);
  const found = smoke ? undefined : candidates.find((d) => existsSync(join(d, 'checkpoint_final.safetensors')));
  if (found) return found;
  const dir = join(work, 'models', make.name, 'fold_0');
  if (!existsSync(join(dir, 'checkpoint_final.safetensors'))) {
    makeUntrainedFold({ dir, work, dataset, plan, trainCases: split.train, valCases: split.val, writer: 'bench/deploy.ts', ...make, ...tiny });
  }
  return dir;
}

/** The patch a fold folder's network trained with (config.json), which sets the windows per case. */
const trainedPatch = (dir: string): [number, number, number] => (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { patchSize: [number, number, number] }).patchSize;

const pruned = fold('BENCH_PRUNED', [join(work, 'models', 'demo_psp_S', 'fold_0')], { name: 'bench_psp_S_pruned', deleted: DEMO_SEED0_DELETED, patchSize: [32, 48, 32] });
// the unpruned S at the pruned one's patch, so that both run the same windows and only pruning differs
const patch = trainedPatch(pruned);
const models = [
  { key: 'pruned', dir: pruned },
  { key: 'unpruned', dir: fold('BENCH_UNPRUNED', [], { name: `bench_psp_S_${patch.join('x')}`, patchSize: patch }) },
];
const casesSetting = process.env.BENCH_CASES ?? (smoke ? '1' : '10');
const rounds = numberSetting('BENCH_ROUNDS', 3, 1);
const scratch = mkdtempSync(join(tmpdir(), 'pspseg-bench-deploy-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

const threads = engineConfig().threads;
console.log(`${describeCpu()}; libtorch and onnxruntime-node with ${threads} thread(s); load average ${load0.map((l) => l.toFixed(2)).join(' ')}`);

type Engine = 'libtorch' | 'ort_node' | 'wasm_node_1t' | 'wasm_node_2t' | 'chromium_wasm_2t' | 'chromium_webgpu';
interface Row { model: string; engine: Engine; name: string; plain: number | null; tta: number | null; agreement: number | null; note?: string }
const rows: Row[] = [];
const sizes: Record<string, number> = {};

const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
function summarize(model: string, engine: Engine, name: string, timings: CaseTiming[], reference: CaseTiming[] | null): Row {
  let same = 0, total = 0;
  for (const t of timings) {
    const ref = reference?.find((r) => r.id === t.id && r.tta === t.tta);
    if (!ref) continue;
    for (let i = 0; i < t.labels.length; i++) if (t.labels[i] === ref.labels[i]) same++;
    total += t.labels.length;
  }
  return {
    model, engine, name,
    plain: mean(timings.filter((t) => !t.tta).map((t) => t.seconds)), tta: mean(timings.filter((t) => t.tta).map((t) => t.seconds)),
    agreement: total ? same / total : null,
  };
}

/** onnxruntime-web's WASM in a child process (its thread count is fixed per process). */
async function wasmTimings(modelFile: string, threadCount: number, cases: BenchCase[]): Promise<CaseTiming[]> {
  const out = mkdtempSync(join(scratch, `wasm${threadCount}-`));
  const child = spawn(process.execPath, [join(repo, 'dist', 'bench', 'deploy_wasm.js'), modelFile, String(threadCount), out, '0,1', ...cases.map((c) => c.files[0]!)],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const timings: CaseTiming[] = [];
  for await (const line of createInterface({ input: child.stdout })) {
    const r = JSON.parse(line) as Omit<CaseTiming, 'labels'>;
    timings.push({ ...r, labels: new Uint8Array(readFileSync(join(out, `${r.id}.${r.tta ? 'tta' : 'plain'}.u8`))) });
  }
  const code = await new Promise<number | null>((done) => child.on('close', done));
  if (code !== 0) throw new Error(`bench/deploy_wasm.ts exited with ${code}`);
  return timings;
}

for (const m of models) {
  const file = join(scratch, `${m.key}.onnx`);
  await exportModelFolder(m.dir, file);
  const deployed = readDeployedModel(readFileSync(file), file);
  sizes[m.key] = deployed.bytes.length / 1e6;
  const val = deployed.info.valCases;
  const ids = casesSetting === 'all' ? val : val.slice(0, Number(casesSetting));
  const cases: BenchCase[] = ids.map((id) => ({ id, files: dataset.cases.find((c) => c.id === id)!.images }));
  const n = deployed.info.network;
  console.log(`\n${m.key}: ${n.name}, ${n.parameters.toLocaleString('en-US')} parameters, ${sizes[m.key]!.toFixed(1)} MB, from ${m.dir}; ${cases.length} case(s)`);

  // libtorch and onnxruntime-node in alternating rounds, each keeping its fastest (the machine is shared):
  // their ratio is a target, and one pass each was seen to swing it by 15%
  const loaded = await loadModelFolder(m.dir, 'final');
  const session = await ort.InferenceSession.create(deployed.bytes, { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1 });
  const inProcess = { libtorch: libtorchWindowForward(loaded.network), ort_node: onnxWindowForward(ort, session, 'ort') };
  const best: Partial<Record<keyof typeof inProcess, CaseTiming[]>> = {};
  for (let round = 0; round < rounds; round++) {
    for (const [engine, forward] of Object.entries(inProcess) as [keyof typeof inProcess, typeof inProcess.libtorch][]) {
      const t = await timeCases(deployed, forward, cases, [false, true]);
      const total = (x: CaseTiming[]) => x.reduce((a, b) => a + b.seconds, 0);
      if (!best[engine] || total(t) < total(best[engine]!)) best[engine] = t;
    }
  }
  loaded.network.dispose();
  const libtorch = best.libtorch!;
  rows.push(summarize(m.key, 'libtorch', 'libtorch (addon)', libtorch, libtorch));
  rows.push(summarize(m.key, 'ort_node', `onnxruntime-node cpu (${threads} threads)`, best.ort_node!, libtorch));
  await session.release();
  for (const t of [1, 2] as const) {
    const engine: Engine = t === 1 ? 'wasm_node_1t' : 'wasm_node_2t';
    try {
      rows.push(summarize(m.key, engine, `onnxruntime-web wasm in Node (${t} thread${t > 1 ? 's' : ''})`, await wasmTimings(file, t, cases), libtorch));
    } catch (err) {
      console.log(`${engine}: could not run: ${(err as Error).message}`);
      rows.push({ model: m.key, engine, name: engine, plain: null, tta: null, agreement: null, note: (err as Error).message });
    }
  }
  for (const c of await chromiumTimings(file, cases, scratch)) {
    if ('reason' in c) {
      console.log(`${c.engine}: could not run: ${c.reason}`);
      rows.push({ model: m.key, engine: c.engine, name: c.name, plain: null, tta: null, agreement: null, note: c.reason });
    } else rows.push(summarize(m.key, c.engine, c.name, c.timings, libtorch));
  }
  for (const r of rows.filter((x) => x.model === m.key)) {
    const s = (v: number | null) => (v === null ? '   -   ' : `${v.toFixed(3)} s`);
    console.log(`  ${r.name.padEnd(46)} no mirroring ${s(r.plain)}  mirroring ${s(r.tta)}  labels = libtorch's on ${r.agreement === null ? '-' : `${(100 * r.agreement).toFixed(4)}%`}`);
  }
}

const pick = (engine: Engine, field: 'plain' | 'agreement'): number | null => {
  const v = rows.find((r) => r.model === 'pruned' && r.engine === engine)?.[field] ?? null;
  return v === null ? null : Number(v.toFixed(field === 'agreement' ? 6 : 3));
};
const ratio = (a: Engine, b: Engine): number | null => {
  const x = pick(a, 'plain'), y = pick(b, 'plain');
  return x === null || y === null ? null : Number((x / y).toFixed(2));
};
console.log(`\nload average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(JSON.stringify({
  libtorch_s: pick('libtorch', 'plain'), ort_node_s: pick('ort_node', 'plain'), wasm_node_1t_s: pick('wasm_node_1t', 'plain'),
  wasm_node_2t_s: pick('wasm_node_2t', 'plain'), chromium_wasm_2t_s: pick('chromium_wasm_2t', 'plain'), chromium_webgpu_s: pick('chromium_webgpu', 'plain'),
  chromium_agreement: pick('chromium_wasm_2t', 'agreement'), model_mb: Number(sizes.pruned!.toFixed(2)), cpu: describeCpu(),
  ort_node_vs_libtorch: ratio('ort_node', 'libtorch'), chromium_vs_libtorch: ratio('chromium_wasm_2t', 'libtorch'),
  unpruned_model_mb: Number(sizes.unpruned!.toFixed(2)), cases: Number(casesSetting === 'all' ? NaN : casesSetting) || null,
  rows: rows.map((r) => ({ model: r.model, engine: r.engine, plain_s: r.plain, tta_s: r.tta, agreement: r.agreement })),
}));
