/**
 * Predicting a list of input cases with a loaded model: each case is preprocessed in a worker thread
 * while the previous one runs through the network, predicted with the sliding window, mapped back to
 * its input grid and written as OUT/<id>.nii(.gz) (uint8 labels, the input's header) and, optionally,
 * OUT/<id>.npz (softmax probabilities, float16, [classes, z, y, x] like nnU-Net's). A case that fails
 * is reported and skipped. OUT/predict_log.json records time per case and the peak memory.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeNifti } from '../io/nifti.js';
import { writeFileAtomic } from '../util/atomic_write.js';
import { Progress } from '../util/progress.js';
import { labelAndProbabilities, labelVolume } from './export.js';
import { toFloat16 } from '../util/float16.js';
import type { InputCase } from './input_cases.js';
import type { Plan } from '../data/plan/plan_schema.js';
import type { Shape3 } from '../util/triple.js';
import type { WindowForward } from './window_forward.js';
import { writeNpz } from './npz.js';
import { predictSlidingWindow, slidingWindowForwards } from './predict_logits.js';
import type { PredictPreprocessResult } from './preprocess_input.js';
import { preprocessInWorker } from './preprocess_pool.js';
import { voxelCount } from '../util/triple.js';
import { inferenceMemoryBytes } from '../data/preprocess/memory_estimate.js';
import { guardMemory } from '../util/memory.js';

export const PREDICT_LOG_FILE = 'predict_log.json';

/** What prediction needs of a model, whichever engine runs it (a fold folder on libtorch, an ONNX file on onnxruntime). */
export interface PredictionModel {
  /** The fold folder or model file, for the log. */
  source: string;
  /** Which checkpoint ('final', 'best'). */
  checkpoint: string;
  forward: WindowForward;
  /** Where the network runs: 'cpu', 'cuda:0'. */
  device: string;
  plan: Plan;
  patchSize: Shape3;
  numClasses: number;
  inChannels: number;
  /** Spatial axes (0..2, network array order) mirrored in training: the test-time mirroring uses these. */
  mirrorAxes: number[];
  /** Activation bytes of one forward of `windows` windows, for the memory guard (0 when unknown). */
  windowBytes(windows: number): number;
}

export interface PredictOptions {
  outDir: string;
  step?: number;
  /** Mirroring test-time augmentation over the model's mirror axes (default true). */
  tta?: boolean;
  saveProbabilities?: boolean;
  windowsPerForward?: number;
  /** Preprocess in this thread instead of a worker (no overlap; for debugging). */
  preprocessInThread?: boolean;
  /**
   * Progress display (default: on stderr); false for none. On a terminal: a bar over each case's
   * windows, redrawn in place; in logs: one line per case done (Progress' 10% steps).
   */
  progress?: boolean;
  progressStream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Told about every case as it finishes. */
  onCase?: (outcome: CaseOutcome) => void;
}

export interface CaseOutcome {
  id: string;
  status: 'ok' | 'failed';
  /** Inference time: sliding window, resampling back and argmax (not the overlapped preprocessing or the write). */
  seconds?: number;
  preprocess_seconds?: number;
  windows?: number;
  forwards?: number;
  output?: string;
  probabilities?: string;
  error?: string;
}

export interface PredictSummary {
  model: string;
  checkpoint: string;
  device: string;
  /** What ran the network (window_forward.ts' name). */
  backend: string;
  step: number;
  tta: boolean;
  mirror_axes: number[];
  cases: CaseOutcome[];
  failed: number;
  peak_rss_mb: number;
  total_seconds: number;
}

/** Peak resident memory of this process (all threads) so far, MB. */
export function peakRssMb(): number {
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

type Settled = { ok: true; value: PredictPreprocessResult } | { ok: false; error: Error };

function settle(p: Promise<PredictPreprocessResult>): Promise<Settled> {
  return p.then((value) => ({ ok: true, value }), (error: unknown) => ({ ok: false, error: error instanceof Error ? error : new Error(String(error)) }));
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * The closing line of a prediction: how many cases were written where, at what time per case; when
 * none was, that every case failed (a mean over no case would read "0.00 s per case"). `failed`: the
 * line belongs on stderr.
 */
export function predictSummaryLine(r: PredictSummary, outDir: string): { line: string; failed: boolean } {
  const ok = r.cases.filter((c) => c.status === 'ok');
  if (!r.cases.length) return { line: `no case to predict; nothing written to ${outDir}`, failed: true };
  if (!ok.length) {
    return {
      line: `${r.cases.length === 1 ? 'the only case' : `every case (all ${r.cases.length})`} failed: no prediction written to ${outDir}; `
        + `the reasons are above and in ${join(outDir, PREDICT_LOG_FILE)}`,
      failed: true,
    };
  }
  const mean = ok.reduce((s, c) => s + c.seconds!, 0) / ok.length;
  return {
    line: `${ok.length}/${r.cases.length} case(s) predicted into ${outDir} (${mean.toFixed(2)} s per case, peak memory ${r.peak_rss_mb} MB)`
      + (r.failed ? `; ${r.failed} failed` : ''),
    failed: false,
  };
}

export async function predictCases(model: PredictionModel, cases: readonly InputCase[], o: PredictOptions): Promise<PredictSummary> {
  const t0 = performance.now();
  const step = o.step ?? 0.5, tta = o.tta ?? true;
  const mirrorAxes = tta ? model.mirrorAxes : [];
  await mkdir(o.outDir, { recursive: true });
  const outcomes: CaseOutcome[] = [];
  const writes: Promise<void>[] = [];
  const finish = (r: CaseOutcome): void => { outcomes.push(r); o.onCase?.(r); };

  const start = (c: InputCase): Promise<Settled> => (c.problem
    ? Promise.resolve({ ok: false, error: new Error(c.problem) })
    : settle(preprocessInWorker({ case: c.files, plan: model.plan }, o.preprocessInThread)));

  const stream = o.progressStream ?? process.stderr;
  const showWindows = o.progress !== false && Boolean(stream.isTTY);
  const caseProgress = o.progress !== false && !showWindows ? new Progress('predict', cases.length, { stream }) : undefined;
  const finishCase = (r: CaseOutcome): void => { finish(r); caseProgress?.tick(1, `${r.id} ${r.status === 'ok' ? `${r.seconds} s` : 'failed'}`); };

  let next = cases.length ? start(cases[0]!) : undefined;
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i]!;
    const pre = await next!;
    next = i + 1 < cases.length ? start(cases[i + 1]!) : undefined; // overlaps with this case's inference
    if (!pre.ok) { finishCase({ id: c.id, status: 'failed', error: pre.error.message }); continue; }
    const { case: pc, seconds: preSeconds } = pre.value;
    const patch = model.patchSize;
    // the sliding window and the export to the input grid must fit: else this case fails with what to change
    try {
      const windowBytes = model.windowBytes(o.windowsPerForward ?? 1);
      guardMemory({
        what: `predicting ${c.id} (${voxelCount(pc.properties.shape)} voxels at the plan's spacing, ${model.numClasses} classes)`,
        bytes: inferenceMemoryBytes({
          inputVoxels: voxelCount(pc.properties.shapeBeforeCrop), resampledVoxels: voxelCount(pc.properties.shape),
          channels: model.inChannels, classes: model.numClasses, windowBytes,
        }),
        remedies: ['fewer windows per forward (--batch)', 'a machine with more memory'],
      });
    } catch (err) { finishCase({ id: c.id, status: 'failed', error: (err as Error).message }); continue; }
    // the bar counts network forwards, as predictSlidingWindow's onProgress does
    const forwards = slidingWindowForwards(pc.properties.shape, { patchSize: patch, step, mirrorAxes, windowsPerForward: o.windowsPerForward });
    const progress = showWindows ? new Progress(`predict ${c.id} [${i + 1}/${cases.length}]`, forwards, { stream }) : undefined;
    let done = 0;
    try {
      const t = performance.now();
      const sw = await predictSlidingWindow(model.forward, pc.images, pc.properties.shape, {
        patchSize: patch, numClasses: model.numClasses, step, mirrorAxes, windowsPerForward: o.windowsPerForward,
        onProgress: (n) => { progress?.tick(n - done); done = n; },
      });
      const outPath = join(o.outDir, `${c.id}${c.ending}`);
      const probPath = join(o.outDir, `${c.id}.npz`);
      let write: Promise<void>;
      if (o.saveProbabilities) {
        const { label: vol, probabilities } = labelAndProbabilities(sw.logits, pc.properties, model.plan.resampling);
        const n = probabilities.maps[0]!.length;
        const half = new Uint16Array(n * probabilities.maps.length);
        probabilities.maps.forEach((m, k) => half.set(toFloat16(m), k * n));
        write = Promise.all([
          writeNifti(outPath, vol, { datatype: 'uint8' }),
          writeNpz(probPath, [{ name: 'probabilities', descr: '<f2', shape: probabilities.shape, data: new Uint8Array(half.buffer) }]),
        ]).then(() => undefined);
      } else {
        write = writeNifti(outPath, labelVolume(sw.logits, pc.properties, model.plan.resampling), { datatype: 'uint8' });
      }
      const seconds = (performance.now() - t) / 1000;
      progress?.finish(`${seconds.toFixed(2)} s`);
      const outcome: CaseOutcome = {
        id: c.id, status: 'ok', seconds: round3(seconds), preprocess_seconds: round3(preSeconds), windows: sw.windows, forwards: sw.forwards,
        output: outPath, ...(o.saveProbabilities ? { probabilities: probPath } : {}),
      };
      // the file is written while the next case runs; a failed write fails the case
      writes.push(write.then(() => finishCase(outcome), (err: Error) => finishCase({ id: c.id, status: 'failed', error: err.message })));
    } catch (err) {
      progress?.finish('failed');
      finishCase({ id: c.id, status: 'failed', error: (err as Error).message });
    }
  }
  await Promise.all(writes);
  caseProgress?.finish();
  const order = new Map(cases.map((c, i) => [c.id, i]));
  outcomes.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  const summary: PredictSummary = {
    model: model.source,
    checkpoint: model.checkpoint,
    device: model.device, backend: model.forward.name, step, tta, mirror_axes: mirrorAxes,
    cases: outcomes,
    failed: outcomes.filter((r) => r.status === 'failed').length,
    peak_rss_mb: peakRssMb(),
    total_seconds: round3((performance.now() - t0) / 1000),
  };
  await writeFileAtomic(join(o.outDir, PREDICT_LOG_FILE), [`${JSON.stringify(summary, null, 1)}\n`]);
  return summary;
}
