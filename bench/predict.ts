/**
 * Prediction benchmark: the hippocampus validation cases of fold 0 with a PSP-Seg S model, our
 * sliding window against the same procedure in PyTorch (bench/torch_predict.py: nnU-Net v2's
 * sliding window with scripts/torch_pspseg.py's network) on the same weights and the same
 * preprocessed arrays, mirroring on and off, then our whole pipeline (`pspseg predict`: reading,
 * preprocessing, sliding window, back to the input grid, writing).
 *
 * Model: BENCH_MODEL (a fold folder), else <work>/models/psp_S/fold_0 when `pspseg train --arch psp`
 * trained one, else an untrained PSP-Seg S made here in a fold-folder layout
 * (<work>/models/bench_psp_S/fold_0: Kaiming-initialised from seed 0, PRM weights 0.5 so that every
 * block counts; accuracy does not matter here). <work> is BENCH_WORK or the dataset's work folder
 * ($PSPSEG_WORK/Hippocampus); the plan there is used, or made.
 *
 * Both sides time the sliding window alone (input array to cropped logits), case by case in turns
 * (each waits while the other runs), with the same number of threads and the same glibc allocator
 * settings, after one untimed forward.
 * The argmax of both must agree on > 99.9% of the voxels. Environment: BENCH_DATASET, BENCH_WORK,
 * BENCH_MODEL, BENCH_CASES (default: every validation case), BENCH_THREADS (default: libtorch's).
 * BENCH_SMOKE=1: the first 10 cases of the dataset planned into a temporary work folder (unless
 * BENCH_WORK), 1 validation case, and the untrained model made at a quarter of S's channels
 * ([4, 8, 16, 32, 64]), to check that it runs (test/bench_smoke.test.ts also checks that both sides agree).
 * Last line: one JSON object {cases, ours_s_per_case, torch_s_per_case, ratio, ours_no_tta_s_per_case,
 * peak_rss_mb, ...} (per case: TTA network time, ratio = ours / torch).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readDataset } from '../src/data/dataset/dataset.js';
import { listInputCases } from '../src/infer/input_cases.js';
import { loadModelFolder } from '../src/infer/model_folder.js';
import { predictCases } from '../src/infer/predict.js';
import { predictSlidingWindow } from '../src/infer/predict_logits.js';
import { libtorchPredictionModel, libtorchWindowForward } from '../src/infer/libtorch_forward.js';
import { preprocessForPrediction } from '../src/infer/preprocess_input.js';
import { PSPSegNet } from '../src/models/index.js';
import { engineConfig, inferenceMode, saveSafetensors, setThreads, tensor, zeros } from '../src/tensor/index.js';
import { python } from './side_by_side.js';
import { foldCases, SPLITS_FILE } from '../src/train/splits.js';
import { numberSetting, smoke } from './smoke.js';
import { benchPlan, benchWork, makeUntrainedFold } from './bench_fold.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataRoot = process.env.PSPSEG_DATA ?? resolve(repo, '..', 'shared', 'data');
const datasetPath = resolve(process.env.BENCH_DATASET ?? join(dataRoot, 'Task04_Hippocampus'));
if (process.env.BENCH_THREADS) setThreads(Number(process.env.BENCH_THREADS));
const threads = engineConfig().threads;
const load0 = loadavg();

const allCases = readDataset(datasetPath);
const dataset = smoke ? { ...allCases, cases: allCases.cases.slice(0, 10) } : allCases;
// A smoke run neither uses nor leaves a model or plan in the dataset's real work folder.
const work = benchWork(dataset, 'pspseg-bench-predict-work-');

const plan = await benchPlan(work, dataset);
const split = await foldCases(join(work, SPLITS_FILE), dataset.cases.map((c) => c.id), 0);
const modelDir = process.env.BENCH_MODEL ? resolve(process.env.BENCH_MODEL)
  : [join(work, 'models', 'psp_S', 'fold_0'), join(work, 'models', 'bench_psp_S', 'fold_0')].find((d) => existsSync(join(d, 'checkpoint_final.safetensors')))
  ?? (() => {
    const d = join(work, 'models', 'bench_psp_S', 'fold_0');
    makeUntrainedFold({ dir: d, name: 'bench_psp_S', work, dataset, plan, trainCases: split.train, valCases: split.val, writer: 'bench/predict.ts', ...(smoke ? { channels: [4, 8, 16, 32, 64] } : {}) });
    return d;
  })();
const model = await loadModelFolder(modelDir, 'final');
if (!(model.network instanceof PSPSegNet)) throw new Error(`${modelDir}: not a PSP-Seg network (the PyTorch side runs PSP-Seg only)`);
const numCases = Math.min(numberSetting('BENCH_CASES', Infinity, 1), model.config.valCases.length);
const val = new Set(model.config.valCases.slice(0, numCases));
const cases = listInputCases([join(datasetPath, 'imagesTr')], model.inChannels).filter((c) => val.has(c.id));
const patch = model.patchSize;
const cfg = engineConfig();
console.log(`${cases.length} validation case(s) of fold 0, ${model.network.displayName} (${model.network.numParameters()} parameters) from ${modelDir}, `
  + `patch ${patch.join('x')}, mirror axes ${model.mirrorAxes.join(',')}; ${threads} thread(s), torch ${cfg.torchVersion}; load average ${load0.map((l) => l.toFixed(2)).join(' ')}`);

// PyTorch with glibc tuned as our addon tunes it at start-up (mallopt: no mmap, no trim), as bench:engine's
// "tuned" PyTorch: its default allocator would make the comparison about glibc, not the procedure.
const TUNED_MALLOC = 'glibc.malloc.mmap_threshold=2147483647:glibc.malloc.trim_threshold=4294967295:glibc.malloc.mmap_max=0';
const handover = await mkdtemp(join(tmpdir(), 'pspseg-bench-predict-'));
const py = spawn(python, [
  join(repo, 'bench', 'torch_predict.py'), '--architecture', join(modelDir, 'architecture.json'), '--weights', model.checkpoint.file,
  '--patch', patch.join(','), '--step', '0.5', '--mirror-axes', model.mirrorAxes.join(','), '--threads', String(threads),
], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, GLIBC_TUNABLES: TUNED_MALLOC } });
const answers = createInterface({ input: py.stdout })[Symbol.asyncIterator]();
const nextAnswer = async (): Promise<Record<string, unknown>> => {
  const r = await answers.next();
  if (r.done) throw new Error('bench/torch_predict.py ended early (its error is above)');
  return JSON.parse(r.value) as Record<string, unknown>;
};
interface Answer { seconds: number; voxels: number; agree: number }
const ask = async (req: object): Promise<Answer> => { py.stdin.write(`${JSON.stringify(req)}\n`); return (await nextAnswer()) as unknown as Answer; };

try {
  const ready = await nextAnswer();
  console.log(`PyTorch side ready: ${JSON.stringify(ready)}`);
  inferenceMode(() => { const x = zeros([1, model.inChannels, ...patch]); model.network.forward(x).logits.forEach((t) => t.dispose()); x.dispose(); }); // warm-up

  const time = { ours: { tta: 0, plain: 0 }, torch: { tta: 0, plain: 0 } };
  let voxels = 0, agree = 0, worst = 1;
  const pairRatios: number[] = []; // ours / torch per case (TTA): robust to load that changes over the run
  const classVoxels = new Array<number>(model.numClasses).fill(0); // of our TTA argmax: an agreement on one class only would say little
  for (const [i, c] of cases.entries()) {
    const { case: pc } = await preprocessForPrediction({ case: c.files, plan: model.plan });
    const shape = pc.properties.shape;
    const image = join(handover, `${c.id}.safetensors`);
    const all = new Float32Array(pc.images.reduce((n, im) => n + im.length, 0));
    pc.images.reduce((o, im) => { all.set(im, o); return o + im.length; }, 0);
    const t = tensor(all, [pc.images.length, ...shape]);
    saveSafetensors(image, new Map([['image', t]]));
    t.dispose();
    const line: string[] = [];
    for (const tta of [true, false]) {
      const t0 = performance.now();
      const sw = await predictSlidingWindow(libtorchWindowForward(model.network), pc.images, shape, { patchSize: patch, numClasses: model.numClasses, step: 0.5, mirrorAxes: tta ? model.mirrorAxes : [] });
      const ours = (performance.now() - t0) / 1000;
      const labels = new Uint8Array(sw.logits[0]!.length);
      for (let v = 0; v < labels.length; v++) {
        let best = 0;
        for (let k = 1; k < sw.logits.length; k++) if (sw.logits[k]![v]! > sw.logits[best]![v]!) best = k;
        labels[v] = best;
        if (tta) classVoxels[best]!++;
      }
      const oursFile = join(handover, `${c.id}.${tta ? 'tta' : 'plain'}.safetensors`);
      const lt = tensor(labels, shape, { dtype: 'uint8' });
      saveSafetensors(oursFile, new Map([['labels', lt]]));
      lt.dispose();
      const r = await ask({ id: c.id, image, tta, ours: oursFile });
      time.ours[tta ? 'tta' : 'plain'] += ours;
      if (tta) pairRatios.push(ours / r.seconds);
      time.torch[tta ? 'tta' : 'plain'] += r.seconds;
      voxels += r.voxels; agree += r.agree;
      worst = Math.min(worst, r.agree / r.voxels);
      line.push(`${tta ? 'TTA' : 'no TTA'} ours ${ours.toFixed(3)} s, torch ${r.seconds.toFixed(3)} s (${sw.windows} window(s), argmax agree ${((100 * r.agree) / r.voxels).toFixed(3)}%)`);
    }
    console.log(`[${i + 1}/${cases.length}] ${c.id} ${shape.join('x')}: ${line.join('; ')}`);
  }
  py.stdin.end();

  // our whole pipeline: read, preprocess (overlapped in a worker), sliding window, back to the input grid, write
  const pipeline = await predictCases(libtorchPredictionModel(model), cases, { outDir: join(handover, 'pipeline'), tta: true, progress: false });
  const n = cases.length;
  const r3 = (x: number): number => Number(x.toFixed(3));
  const result = {
    cases: n,
    ours_s_per_case: r3(time.ours.tta / n),
    torch_s_per_case: r3(time.torch.tta / n),
    ratio: r3(time.ours.tta / time.torch.tta),
    ratio_median_per_case: r3([...pairRatios].sort((a, b) => a - b)[Math.floor(pairRatios.length / 2)]!),
    ours_no_tta_s_per_case: r3(time.ours.plain / n),
    torch_no_tta_s_per_case: r3(time.torch.plain / n),
    ratio_no_tta: r3(time.ours.plain / time.torch.plain),
    ours_pipeline_s_per_case: r3(pipeline.total_seconds / n),
    argmax_agreement: Number((agree / voxels).toFixed(6)),
    argmax_agreement_worst_case: Number(worst.toFixed(6)),
    class_fractions: classVoxels.map((v) => Number((v / classVoxels.reduce((a, b) => a + b, 0)).toFixed(4))),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    threads,
    load_average_start: load0.map((l) => Number(l.toFixed(2))),
    load_average_end: loadavg().map((l) => Number(l.toFixed(2))),
  };
  if (pipeline.failed) console.log(`pipeline: ${pipeline.failed} case(s) failed: ${pipeline.cases.filter((c) => c.status === 'failed').map((c) => `${c.id}: ${c.error}`).join('; ')}`);
  if (result.argmax_agreement < 0.999) console.log(`WARNING: the argmax agrees on only ${(100 * result.argmax_agreement).toFixed(3)}% of the voxels`);
  console.log(JSON.stringify(result));
} finally {
  if (py.exitCode === null) py.kill();
  model.network.dispose();
  await rm(handover, { recursive: true, force: true });
}
