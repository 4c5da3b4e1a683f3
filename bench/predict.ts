/**
 * Prediction benchmark: `pspseg predict`'s pipeline on Task04_Hippocampus images with a small
 * two-level U-Net built from src/nn (a stand-in until src/models' builder is wired in): plan by hand
 * (1 mm, patch 40x56x40 as nnU-Net plans it, z-score), a model folder in a temporary directory, then
 * predictCases with and without mirroring. Environment: BENCH_CASES (default 4), BENCH_DATASET,
 * BENCH_DEVICE (cpu), BENCH_WIDTH (channels at full resolution, default 16).
 * Last line: one JSON object with seconds per case (TTA, no TTA) and the peak RSS.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_FOREGROUND_SAMPLING } from '../src/data/preprocess/foreground_locations.js';
import { DEFAULT_RESAMPLING } from '../src/data/preprocess/resample.js';
import { PLAN_VERSION, type Plan } from '../src/data/plan/plan_schema.js';
import { savePlan } from '../src/data/plan/plan_file.js';
import { listInputCases } from '../src/infer/input_cases.js';
import { type InferenceNetwork, loadModelFolder } from '../src/infer/model_folder.js';
import { predictCases } from '../src/infer/predict.js';
import { Conv3d, InstanceNorm3d, Module, saveWeights } from '../src/nn/index.js';
import { type Device, F, type Tensor, engineConfig } from '../src/tensor/index.js';
import { describeCpu } from '../src/util/cpu_info.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const datasetPath = resolve(root, process.env.BENCH_DATASET ?? '../shared/data/Task04_Hippocampus');
const numCases = Number(process.env.BENCH_CASES ?? 4);
const device = (process.env.BENCH_DEVICE ?? 'cpu') as Device;
const width = Number(process.env.BENCH_WIDTH ?? 16);

class ConvNormAct extends Module {
  readonly conv: Conv3d; readonly norm: InstanceNorm3d;
  constructor(cin: number, cout: number, stride = 1) {
    super();
    this.conv = this.registerModule('conv', new Conv3d(cin, cout, 3, { stride }));
    this.norm = this.registerModule('norm', new InstanceNorm3d(cout));
  }
  forward(x: Tensor): Tensor { return this.norm.forward(this.conv.forward(x)).leakyRelu(0.01); }
}

/** Two resolution levels, additive skip, 3 classes. */
class SmallUNet extends Module<[Tensor], { logits: Tensor[] }> {
  readonly enc0: ConvNormAct; readonly down: ConvNormAct; readonly enc1: ConvNormAct; readonly up: Conv3d; readonly dec0: ConvNormAct; readonly head: Conv3d;
  constructor(cin: number, c: number, classes: number) {
    super();
    this.enc0 = this.registerModule('enc0', new ConvNormAct(cin, c));
    this.down = this.registerModule('down', new ConvNormAct(c, 2 * c, 2));
    this.enc1 = this.registerModule('enc1', new ConvNormAct(2 * c, 2 * c));
    this.up = this.registerModule('up', new Conv3d(2 * c, c, 1));
    this.dec0 = this.registerModule('dec0', new ConvNormAct(c, c));
    this.head = this.registerModule('head', new Conv3d(c, classes, 1));
  }
  forward(x: Tensor): { logits: Tensor[] } {
    const s = this.enc0.forward(x);
    const b = this.enc1.forward(this.down.forward(s));
    const u = this.up.forward(F.interpolate(b, { scaleFactor: 2, mode: 'nearest' }));
    return { logits: [this.head.forward(this.dec0.forward(s.add(u)))] };
  }
}

const stats = { mean: 0, std: 1, median: 0, min: 0, max: 1, percentile_00_5: 0, percentile_99_5: 1 };
const plan: Plan = {
  version: PLAN_VERSION, dataset: { name: 'Hippocampus', root: datasetPath, numCases: 260 },
  labels: [{ name: 'background', value: 0 }, { name: 'Anterior', value: 1 }, { name: 'Posterior', value: 2 }],
  channels: [{ name: 'MRI', scheme: 'zscore', useMask: false, intensity: stats, foregroundPercentile005Normalized: -1 }],
  transposeForward: [0, 1, 2], transposeBackward: [0, 1, 2], targetSpacing: [1, 1, 1], medianSpacing: [1, 1, 1], medianShape: [36, 50, 35],
  medianRelativeSizeAfterCropping: 1, resampling: structuredClone(DEFAULT_RESAMPLING), foregroundSampling: { ...DEFAULT_FOREGROUND_SAMPLING },
  patchSize: [40, 56, 40], batchSize: 9, numPools: 3, voxelBudget: 1_000_000,
};

const work = await mkdtemp(join(tmpdir(), 'pspseg-bench-predict-'));
try {
  const dir = join(work, 'models', 'small', 'fold_0');
  await mkdir(dir, { recursive: true });
  await savePlan(join(dir, 'plan.json'), plan);
  await writeFile(join(dir, 'config.json'), JSON.stringify({ mirrorAxes: [0, 1, 2] }));
  await writeFile(join(dir, 'architecture.json'), JSON.stringify({ width }));
  const builder = (a: unknown): InferenceNetwork => new SmallUNet(1, (a as { width: number }).width, 3);
  const net = builder({ width });
  saveWeights(join(dir, 'checkpoint_final.safetensors'), net as unknown as Module);
  const params = net.numParameters();
  net.dispose();

  const input = join(work, 'input');
  await mkdir(input);
  const images = (await readdir(join(datasetPath, 'imagesTr'))).filter((f) => f.endsWith('.nii.gz') && !f.startsWith('.')).sort().slice(0, numCases);
  const { symlink } = await import('node:fs/promises');
  for (const f of images) await symlink(join(datasetPath, 'imagesTr', f), join(input, f.replace('.nii.gz', '_0000.nii.gz')));

  const model = await loadModelFolder(dir, 'final', { builder, device });
  const cases = listInputCases([input], 1);
  const cfg = engineConfig();
  console.log(`${cases.length} hippocampus case(s), small U-Net ${params} parameters, ${device}, ${cfg.threads} threads, torch ${cfg.torchVersion}`);
  const result: Record<string, number> = {};
  for (const tta of [true, false]) {
    const r = await predictCases(model, cases, { outDir: join(work, `out_${tta}`), tta, device, progress: false, onCase: process.env.BENCH_VERBOSE ? (c) => console.log(c.id, c.seconds, `rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB, peak ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`) : undefined });
    const ok = r.cases.filter((c) => c.status === 'ok');
    const per = ok.reduce((s, c) => s + c.seconds!, 0) / ok.length;
    const pre = ok.reduce((s, c) => s + c.preprocess_seconds!, 0) / ok.length;
    console.log(`${tta ? 'TTA (8 mirrorings)' : 'no TTA'}: ${per.toFixed(3)} s per case inference (+${pre.toFixed(3)} s preprocessing, overlapped), `
      + `${ok[0]?.windows} window(s), total ${r.total_seconds.toFixed(2)} s for ${ok.length} cases, peak RSS ${r.peak_rss_mb} MB`);
    result[tta ? 'seconds_per_case_tta' : 'seconds_per_case_no_tta'] = Number(per.toFixed(3));
    result[tta ? 'total_seconds_tta' : 'total_seconds_no_tta'] = r.total_seconds;
    result.peak_rss_mb = r.peak_rss_mb;
  }
  model.network.dispose();
  console.log(JSON.stringify({ cases: cases.length, params, device, ...result, cpu: describeCpu() }));
} finally {
  await rm(work, { recursive: true, force: true });
}
