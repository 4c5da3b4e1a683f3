/**
 * The trainer on real data (a 10-case hippocampus subset, small patches, a few iterations): the
 * loss falls; the folder holds what it should; memory does not grow between epochs; the TR
 * second pass runs without gradients; the epoch-start hook may delete parameters (the optimiser
 * drops them) and its state survives --continue; mismatched checkpoints and settings are errors
 * naming the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Generator, type Tensor, engineConfig, liveTensorCount, ones } from '../src/tensor/index.js';
import { Module } from '../src/nn/index.js';
import { loadSafetensors, saveSafetensors } from '../src/tensor/index.js';
import { SmallUNet } from '../src/models/small_unet.js';
import { type TrainingLoss, parseLossConfig, pspsegLoss } from '../src/losses/index.js';

const diceCeLoss = (logits: Tensor[], targets: Tensor[]): Tensor =>
  pspsegLoss({ logits, encoderFeatures: [], regionFeatures: null }, null, targets, parseLossConfig({ name: 'dice_ce' })).total;
import { polyLR } from '../src/optim/index.js';
import { loadConfig } from '../src/train/config.js';
import { checkpointStateFile, checkpointWeightsFile } from '../src/models/model_folder.js';
import { parseTrainingLog } from '../src/train/training_log.js';
import type { TrainOptions } from '../src/train/options.js';
import { runTraining } from '../src/train/run.js';
import type { NetworkOutput } from '../src/nn/index.js';
import type { NetworkBuilder } from '../src/train/interfaces.js';
import type { EpochStartContext } from '../src/train/trainer.js';
import { hippocampusSubset } from './helpers/train_data.js';
import { tempDir } from './helpers.js';
import { LOCK_FILE } from '../src/util/folder_lock.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

const quiet = { quiet: true, workers: 1 } satisfies TrainOptions;
const print = () => {};
const tiny = { arch: 'small', patch: [32, 32, 32], batch: 2, iterations: 6, 'val-iterations': 3, seed: 0 } satisfies TrainOptions;

test('a tiny run on hippocampus: the loss falls, lr is poly, the fold folder is complete, memory is flat', async () => {
  const workDir = await hippocampusSubset(10);
  const live: number[] = [];
  const r = await runTraining({ workDir, print, options: { ...tiny, ...quiet, epochs: 4, name: 'tiny' }, onEpochEnd: () => live.push(liveTensorCount()) });
  assert.equal(r.logs.length, 4);
  const [first, last] = [r.logs[0]!, r.logs[3]!];
  assert.ok(last.trainLoss < first.trainLoss, `train loss ${first.trainLoss} -> ${last.trainLoss}`);
  r.logs.forEach((e, i) => {
    assert.equal(e.epoch, i);
    assert.ok(Math.abs(e.lr - polyLR(1e-2, i, 4)) < 1e-12);
    assert.equal(e.pseudoDice.length, 2, 'anterior and posterior');
    assert.ok(e.dataWaitSeconds >= 0 && e.dataWaitSeconds <= e.epochSeconds);
    assert.ok(Number.isFinite(e.valLoss) && e.peakRssMB > 0);
  });
  assert.equal(new Set(live.slice(1)).size, 1, `live tensors at the end of epochs 2-4: ${live}`);

  const dir = r.outDir;
  assert.match(dir, /models[/\\]tiny[/\\]fold_0$/);
  const config = await loadConfig(join(dir, 'config.json'));
  assert.equal(config.trainCases.length, 8);
  assert.equal(config.valCases.length, 2);
  assert.deepEqual(config.patchSize, [32, 32, 32]);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'architecture.json'), 'utf8')).kind, 'small-unet');
  assert.match(readFileSync(join(dir, 'progress.svg'), 'utf8'), /^<svg[\s\S]*pseudo Dice[\s\S]*<\/svg>$/);
  const logged = parseTrainingLog(readFileSync(join(dir, 'training_log.jsonl'), 'utf8'), 'log');
  assert.deepEqual(logged.map((e) => e.epoch), [0, 1, 2, 3]);
  assert.ok(existsSync(checkpointWeightsFile(dir, 'final')) && existsSync(checkpointWeightsFile(dir, 'best')));
  assert.ok(!existsSync(checkpointWeightsFile(dir, 'latest')), 'a finished run keeps final, not latest');

  // a finished run continues to nothing; starting it again needs --force
  const again = await runTraining({ workDir, print, options: { ...quiet, arch: 'small', name: 'tiny', continue: true } });
  assert.equal(again.logs.length, 4);
  assert.equal(again.startEpoch, 4);
  await assert.rejects(runTraining({ workDir, print, options: { ...tiny, ...quiet, epochs: 4, name: 'tiny' } }), /already holds a run.*--continue.*--force/);
  await assert.rejects(runTraining({ workDir, print, options: { ...quiet, arch: 'small', name: 'tiny', continue: true, lr: 0.5 } }),
    (e: Error) => e.message.includes('--lr 0.5 differs from') && e.message.includes(join(dir, 'config.json')));

  // a state whose architecture does not fit its weights: the weights file is named
  const sp = checkpointStateFile(dir, 'final');
  const st = loadSafetensors(sp);
  const trainer = JSON.parse(st.metadata.trainer!);
  trainer.architecture.widths = [8, 16, 32];
  saveSafetensors(sp, st.tensors, { ...st.metadata, trainer: JSON.stringify(trainer) });
  for (const t of st.tensors.values()) t.dispose();
  await assert.rejects(runTraining({ workDir, print, options: { ...quiet, arch: 'small', name: 'tiny', continue: true } }),
    (e: Error) => e.message.startsWith(checkpointWeightsFile(dir, 'final')) && /do not fit the architecture.*shape mismatch/.test(e.message));

  // settings edited in config.json no longer match the checkpoints
  const cp = join(dir, 'config.json');
  const edited = JSON.parse(readFileSync(cp, 'utf8'));
  edited.gradClip = 5;
  writeFileSync(cp, JSON.stringify(edited));
  await assert.rejects(runTraining({ workDir, print, options: { ...quiet, arch: 'small', name: 'tiny', continue: true } }),
    (e: Error) => e.message.includes(checkpointStateFile(dir, 'final')) && /other settings than .*config\.json/.test(e.message));
});

/** The small U-Net with a learnable output gate that a hook can delete, like a pruned block. */
class GatedNet extends Module<[Tensor], NetworkOutput> {
  readonly net: SmallUNet;
  gate: Gate | null;
  constructor(withGate: boolean, seed: number) {
    super();
    this.net = this.registerModule('net', new SmallUNet(1, 3, new Generator(seed), [8, 8, 16]));
    this.gate = withGate ? this.registerModule('gate', new Gate()) : null;
  }
  encode(x: Tensor): Tensor[] { return this.net.encode(x); }
  forward(x: Tensor): NetworkOutput {
    const o = this.net.forward(x);
    return this.gate ? { ...o, logits: o.logits.map((l) => l.mul(this.gate!.scale)) } : o;
  }
  dropGate(): void { this.deleteModule('gate'); this.gate = null; }
}
class Gate extends Module {
  get scale(): Tensor { return this.param('scale'); }
  constructor() { super(); this.registerParameter('scale', ones([1])); }
  forward(x: Tensor): Tensor { return x; }
}

const gatedBuilder: NetworkBuilder = {
  patchMultiple: 4,
  create: (seed) => new GatedNet(true, seed),
  describe: (n) => ({ gate: (n as GatedNet).gate !== null }),
  restore: (d) => new GatedNet((d as { gate: boolean }).gate, 0),
  outputScales: () => [[1, 1, 1]],
};

test('TR pass without gradients; the epoch-start hook deletes parameters and its state survives --continue', async () => {
  const workDir = await hippocampusSubset(10);
  const maskedGrad: boolean[] = [];
  const loss: TrainingLoss = {
    termNames: ['seg', 'tr'],
    maskInput: (image, target) => image.mul(target.ge(1).to('float32')),
    compute: (out, masked, targets) => {
      assert.ok(masked && masked.length === out.encoderFeatures.length, 'masked features for every encoder output');
      maskedGrad.push(...masked.map((m) => m.requiresGrad));
      const seg = diceCeLoss(out.logits, targets);
      const tr = out.encoderFeatures.map((f, i) => f.sub(masked[i]!).square().mean()).reduce((a, b) => a.add(b));
      const total = seg.add(tr.mul(0.1));
      return { total, terms: { total: total.item(), seg: seg.item(), dice: NaN, ce: NaN, tr: tr.item(), rl: null } };
    },
  };
  const seen: { epoch: number; logs: number; params: number; optimizerParams: number; batch: number[] }[] = [];
  let restored: unknown = 'never';
  const hooks = {
    async onEpochStart(ctx: EpochStartContext) {
      const net = ctx.network as GatedNet;
      let batch: number[] = [];
      for await (const b of ctx.batches(1, { augment: false })) { batch = b.image.shape; b.dispose(); }
      seen.push({ epoch: ctx.epoch, logs: ctx.logs.length, params: net.namedParameters().length, optimizerParams: ctx.optimizer.parameterNames().length, batch });
      if (ctx.epoch === 1 && net.gate) net.dropGate();
    },
    state: () => ({ seen: seen.length }),
    restore: (s: unknown) => { restored = s; },
  };
  const options = { ...tiny, ...quiet, epochs: 3, name: 'gated' } satisfies TrainOptions;
  const request = { workDir, print, options, hooks, buildNetwork: () => gatedBuilder, buildLoss: () => loss };
  // stop after two epochs by failing the third epoch's hook, as a crash would
  const crashing = { ...hooks, onEpochStart: async (ctx: EpochStartContext) => { if (ctx.epoch === 2) throw new Error('crash'); await hooks.onEpochStart(ctx); } };
  await assert.rejects(runTraining({ ...request, hooks: crashing }), /crash/);
  assert.ok(maskedGrad.length > 0 && maskedGrad.every((g) => g === false), 'TR features come from a gradient-free pass');
  const n = seen[0]!.params;
  assert.equal(n, new GatedNet(true, 0).namedParameters().length);
  assert.deepEqual(seen.map((s) => [s.epoch, s.logs, s.params, s.optimizerParams]), [[0, 0, n, n], [1, 1, n, n]]);
  assert.deepEqual(seen[0]!.batch, [2, 1, 32, 32, 32]);

  const r = await runTraining({ ...request, options: { ...options, continue: true } });
  assert.deepEqual(restored, { seen: 2 }, 'the pruning slot comes back');
  assert.equal(r.startEpoch, 2);
  assert.deepEqual([seen[2]!.epoch, seen[2]!.params, seen[2]!.optimizerParams], [2, n - 1, n - 1], 'rebuilt without the gate, and so is the optimiser');
  assert.deepEqual(r.logs.map((e) => e.epoch), [0, 1, 2]);
  assert.deepEqual(Object.keys(r.logs[2]!.trainTerms), ['seg', 'tr']);
});

test('--device cuda without CUDA is a clear error', { skip: engineConfig().cuda && 'CUDA is available here' }, async () => {
  const workDir = await hippocampusSubset(10);
  await assert.rejects(runTraining({ workDir, print, options: { ...tiny, ...quiet, epochs: 1, name: 'cuda', device: 'cuda' } }), /--device cuda: CUDA is not available.*--device cpu/);
});

test('pspseg train on a dataset folder plans and preprocesses it first, saying so; progress for training and validation with the run\'s ETA; a second run on the same fold is refused, naming the first', async (t) => {
  const subsetWork = await hippocampusSubset(10);
  const datasetDir = join(subsetWork, '..', '..', 'Hippocampus10'); // the subset's MSD folder (helpers/train_data.ts)
  const work = tempDir(t, 'pspseg-train-cli-');
  const env = { ...process.env, PSPSEG_WORK: work };
  const args = [CLI, 'train', datasetDir, '--arch', 'small', '--patch', '32', '--batch', '2', '--iterations', '3', '--val-iterations', '1', '--workers', '1'];
  const first = spawn(process.execPath, [...args, '--epochs', '3'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  first.stdout.on('data', (d) => { out += d; });
  first.stderr.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((resolve) => first.on('close', resolve));
  const lock = join(work, 'Hippocampus10', 'models', 'small', 'fold_0', LOCK_FILE);
  const deadline = Date.now() + 120_000;
  while (!existsSync(lock) && first.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(existsSync(lock), `the run locks its fold folder (${err})`);

  const second = spawnSync(process.execPath, [...args, '--epochs', '1', '--force', '--quiet'], { env, encoding: 'utf8' });
  assert.equal(second.status, 1, second.stderr);
  assert.match(second.stderr, new RegExp(`models/small/fold_0 is in use by another pspseg run: pid ${first.pid}, .*train`));

  assert.equal(await exited, 0, err);
  assert.match(out, /Hippocampus10: checking, planning and preprocessing into .*Hippocampus10 first/);
  assert.match(err, /^validation 3\/3: 1\/1 in \d\d:\d\d - loss [\d.]+, pseudo Dice [\d.]+$/m, 'validation has its progress line');
  assert.match(err, /^epoch 2\/3, run ETA \d\d:\d\d: 3\/3 in /m, "the epoch's bar names the run's ETA");
  assert.match(out, /^epoch 2\/3 .* run ETA \d\d:\d\d$/m);
  assert.doesNotMatch(out, /^epoch 3\/3 .*run ETA/m, 'nothing left after the last epoch');
  assert.ok(existsSync(join(work, 'Hippocampus10', 'preprocessed', 'cases.json')), 'preprocessed');
  assert.equal(parseTrainingLog(readFileSync(join(work, 'Hippocampus10', 'models', 'small', 'fold_0', 'training_log.jsonl'), 'utf8'), 'log').length, 3,
    'every epoch once: the refused run wrote nothing');
  assert.ok(!existsSync(lock), 'the lock goes with the run');
});
