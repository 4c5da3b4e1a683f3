/**
 * `pspseg demo` at work (loaded when the command runs): checks, plans and preprocesses the dataset
 * (each step resumes), then trains a small 3D U-shaped network on augmented patches and reports a
 * validation Dice.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { formatXYZ } from '../../data/common/axes.js';
import { readDataset } from '../../data/dataset/dataset.js';
import { prepareDataset } from '../../data/plan/prepare.js';
import { caseFilePath } from '../../data/preprocess/preprocess_dataset.js';
import { readCaseFile } from '../../data/preprocess/case_file.js';
import { caseArraysFromChannels, type CaseArrays } from '../../data/sampling/patch_sampler.js';
import { BatchLoader } from '../../data/sampling/loader.js';
import { PLAN_FILE, datasetWorkDir } from '../../data/dataset/work_dir.js';
import { F, Generator, type Tensor, engineConfig, noGrad, tidy } from '../../tensor/index.js';
import { Conv3d, InstanceNorm3d, LeakyReLU, Module, Sequential, saveWeights } from '../../nn/index.js';
import { SGD, clipGradNorm, polyLR } from '../../optim/index.js';
import { Progress } from '../../util/progress.js';
import { lineChartSvg } from '../../util/svg_plot.js';
import type { DemoOptions } from './demo.js';

/** conv -> instance norm -> leaky ReLU */
const convBlock = (cin: number, cout: number, g: Generator, stride = 1) =>
  new Sequential(new Conv3d(cin, cout, 3, { stride, generator: g }), new InstanceNorm3d(cout), new LeakyReLU(0.01));

/**
 * A small U-shaped network: three resolutions, additive skips, nearest upsampling. Enough context
 * to find the hippocampus in a few hundred CPU steps; the PSP-Seg network replaces it later.
 */
export class SmallUNet extends Module {
  constructor(inChannels: number, classes: number, g: Generator, readonly widths = [16, 32, 64]) {
    super();
    const [a, b, c] = widths;
    this.enc0 = this.registerModule('enc0', new Sequential(convBlock(inChannels, a, g), convBlock(a, a, g)));
    this.enc1 = this.registerModule('enc1', new Sequential(convBlock(a, b, g, 2), convBlock(b, b, g)));
    this.enc2 = this.registerModule('enc2', new Sequential(convBlock(b, c, g, 2), convBlock(c, c, g)));
    this.up2 = this.registerModule('up2', new Conv3d(c, b, 1, { generator: g }));
    this.dec1 = this.registerModule('dec1', convBlock(b, b, g));
    this.up1 = this.registerModule('up1', new Conv3d(b, a, 1, { generator: g }));
    this.dec0 = this.registerModule('dec0', convBlock(a, a, g));
    this.head = this.registerModule('head', new Conv3d(a, classes, 1, { generator: g }));
  }
  private readonly enc0: Sequential;
  private readonly enc1: Sequential;
  private readonly enc2: Sequential;
  private readonly up2: Conv3d;
  private readonly dec1: Sequential;
  private readonly up1: Conv3d;
  private readonly dec0: Sequential;
  private readonly head: Conv3d;
  forward(x: Tensor): Tensor {
    const up = (m: Conv3d, t: Tensor) => m.forward(F.interpolate(t, { scaleFactor: 2, mode: 'nearest' }));
    const s0 = this.enc0.forward(x);
    const s1 = this.enc1.forward(s0);
    const bottom = this.enc2.forward(s1);
    const d1 = this.dec1.forward(up(this.up2, bottom).add(s1));
    return this.head.forward(this.dec0.forward(up(this.up1, d1).add(s0)));
  }
}

/** Cross-entropy + soft Dice over foreground classes; label -1 is ignored by both. */
export function segmentationLoss(logits: Tensor, target: Tensor, classes: number): Tensor {
  const t = target.squeeze(1);
  const ce = F.crossEntropy(logits, t, { ignoreIndex: -1 });
  const valid = t.ge(0).unsqueeze(1).to('float32');
  const probs = logits.softmax(1).mul(valid);
  const onehot = F.oneHot(t.clamp(0), classes).permute([0, 4, 1, 2, 3]).to('float32').mul(valid);
  const dims = [0, 2, 3, 4];
  const tp = probs.mul(onehot).sum(dims);
  const dice = tp.mul(2).add(1e-5).div(probs.sum(dims).add(onehot.sum(dims)).add(1e-5));
  return ce.sub(dice.slice(0, 1).mean());
}

export async function runDemo(o: DemoOptions, datasetArg: string | undefined): Promise<number> {
  const { iterations, batch: batchSize, seed } = o;
  const datasetPath = resolve(datasetArg ?? join('..', 'shared', 'data', 'Task04_Hippocampus'));
  const cfg = engineConfig();
  console.log(`engine: libtorch ${cfg.torchVersion}, ${cfg.threads} threads, oneDNN ${cfg.mkldnn ? 'on' : 'off'}`);

  // 1-3. check (refuses errors, listing each with its case and file), plan (again when the dataset
  // changed), preprocess (resumes; as many cases at a time as fit in memory)
  const dataset = readDataset(datasetPath);
  if (dataset.cases.length === 1) throw new Error(`${dataset.root}: a validation fold needs at least two cases, this dataset has one (the demo holds out cases for validation)`);
  const work = datasetWorkDir(dataset.name);
  const { plan, preprocessedDir: outDir } = await prepareDataset(dataset, { workDir: work });
  console.log(`plan: spacing ${formatXYZ(plan.targetSpacing, plan.transposeForward, 'mm')}, patch ${formatXYZ(plan.patchSize, plan.transposeForward)} (${join(work, PLAN_FILE)})`);

  // 4. load cases; hold out every 5th for validation
  const cases: CaseArrays[] = [];
  for (const c of dataset.cases) {
    const p = await readCaseFile(caseFilePath(outDir, c.id));
    cases.push(caseArraysFromChannels(c.id, p.images, p.properties.shape, p.label!, p.classLocations));
  }
  const train = cases.filter((_, i) => i % 5 !== 0);
  const val = cases.filter((_, i) => i % 5 === 0);
  const classes = 1 + Math.max(...plan.labels.map((l) => l.value));

  // 5. train
  const g = new Generator(seed);
  const model = new SmallUNet(plan.channels.length, classes, g);
  const lr0 = 1e-2;
  const opt = new SGD(model.namedParameters(), { lr: lr0, momentum: 0.99, nesterov: true, weightDecay: 3e-5 });
  console.log(`model: ${model.numParameters().toLocaleString()} parameters; training ${iterations} steps, batch ${batchSize}, ${train.length} training cases`);
  // channels normalised inside the body only are zeroed outside it after augmentation (nnU-Net)
  const maskedChannels = plan.channels.flatMap((c, i) => (c.useMask ? [i] : []));
  const loader = new BatchLoader({ cases: train, patchSize: plan.patchSize, batchSize, seed, numBatches: iterations, maskedChannels });
  const bar = new Progress('train', iterations);
  let window: number[] = [];
  const curve: number[] = [];
  const losses: number[] = [];
  let step = 0;
  for await (const batch of loader) {
    opt.lr = polyLR(lr0, step, iterations);
    const loss = tidy(() => {
      opt.zeroGrad();
      const l = segmentationLoss(model.forward(batch.image), batch.target[0], classes);
      l.backward();
      clipGradNorm(model.parameters(), 12);
      opt.step();
      return l.item();
    });
    batch.dispose();
    window.push(loss);
    losses.push(loss);
    step++;
    bar.tick(1, `loss ${loss.toFixed(3)}`);
    if (step % 40 === 0 || step === iterations) {
      const mean = window.reduce((a, b) => a + b, 0) / window.length;
      curve.push(mean);
      console.log(`  steps ${step - window.length + 1}-${step}: mean loss ${mean.toFixed(4)}`);
      window = [];
    }
  }
  bar.finish();

  // 6. validate: hard Dice per class, tp/fp/fn summed over the validation batches (nnU-Net's pseudo Dice)
  model.eval();
  const valLoader = new BatchLoader({ cases: val, patchSize: plan.patchSize, batchSize, seed: seed + 1, augment: false, numBatches: 20, maskedChannels });
  const tp = new Array(classes).fill(0), fp = new Array(classes).fill(0), fn = new Array(classes).fill(0);
  for await (const batch of valLoader) {
    noGrad(() => tidy(() => {
      const pred = model.forward(batch.image).argmax(1);
      const target = batch.target[0].squeeze(1);
      const valid = target.ge(0);
      for (let c = 1; c < classes; c++) {
        const p = pred.eq(c).logicalAnd(valid), t = target.eq(c);
        tp[c] += p.logicalAnd(t).sum().item();
        fp[c] += p.logicalAnd(t.logicalNot()).sum().item();
        fn[c] += t.logicalAnd(p.logicalNot()).sum().item();
      }
    }));
    batch.dispose();
  }
  const dice = plan.labels.filter((l) => l.value > 0).map((l) => ({ name: l.name, dice: (2 * tp[l.value]) / (2 * tp[l.value] + fp[l.value] + fn[l.value]) }));
  console.log(`validation (${val.length} held-out cases, 20 batches): ${dice.map((d) => `${d.name} Dice ${d.dice.toFixed(3)}`).join(', ')}`);
  console.log(`loss: ${curve[0]?.toFixed(4)} (first ${Math.min(40, iterations)} steps) -> ${curve[curve.length - 1]?.toFixed(4)} (last)`);

  const weights = join(work, 'demo_model.safetensors');
  saveWeights(weights, model, { description: 'pspseg demo SmallUNet', classes: String(classes) });
  await writeFile(join(work, 'demo_loss.json'), JSON.stringify({ loss: losses, lossPer40Steps: curve, dice }, null, 1));
  const smooth = losses.map((_, i) => { const w = losses.slice(Math.max(0, i - 19), i + 1); return w.reduce((a, b) => a + b, 0) / w.length; });
  const svg = join(work, 'demo_loss.svg');
  await writeFile(svg, lineChartSvg('demo training loss (CE - soft Dice)', [{ name: 'loss', values: losses, color: '#9ecae1' }, { name: 'mean of 20', values: smooth }]));
  console.log(`saved ${weights} and the loss curve ${svg}`);
  opt.dispose();
  model.dispose();
  return 0;
}
