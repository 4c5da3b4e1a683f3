/**
 * loadModelFolder on fold folders of every network src/models builds: a pruned PSP-Seg (blocks
 * masked and deleted), nnU-Net's PlainUNet and the small U-Net. The network rebuilt from
 * architecture.json with the checkpoint's weights gives the logits of the network that was saved;
 * a checkpoint that does not fit the architecture (a tensor missing or left over) and an
 * architecture that does not fit the run's dataset are errors naming the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_FOREGROUND_SAMPLING } from '../src/data/preprocess/foreground_locations.js';
import { DEFAULT_RESAMPLING } from '../src/data/preprocess/resample.js';
import { PLAN_VERSION, type Plan } from '../src/data/plan/plan_schema.js';
import { savePlan } from '../src/data/plan/plan_file.js';
import { planHash } from '../src/data/preprocess/plan_hash.js';
import { loadModelFolder } from '../src/infer/model_folder.js';
import { PSPSegNet, PlainUNet, SmallUNet, buildNetwork, plainIsotropic, pspArchitecture } from '../src/models/index.js';
import { type AnyModule, saveWeights } from '../src/nn/index.js';
import { Generator, type Tensor, inferenceMode, liveTensorCount, noGrad, randn, saveSafetensors } from '../src/tensor/index.js';
import { tempDir } from './helpers.js';

const stats = { mean: 0, std: 1, median: 0, min: 0, max: 1, percentile_00_5: 0, percentile_99_5: 1 };
const plan: Plan = {
  version: PLAN_VERSION, dataset: { name: 'folder_test', root: '/nowhere', numCases: 2 },
  labels: [{ name: 'background', value: 0 }, { name: 'a', value: 1 }, { name: 'b', value: 2 }],
  channels: [{ name: 'MRI', scheme: 'zscore', useMask: false, intensity: stats, foregroundPercentile005Normalized: 0 }],
  transposeForward: [0, 1, 2], transposeBackward: [0, 1, 2], targetSpacing: [1, 1, 1], medianSpacing: [1, 1, 1], medianShape: [16, 16, 16],
  medianRelativeSizeAfterCropping: 1, resampling: structuredClone(DEFAULT_RESAMPLING), foregroundSampling: { ...DEFAULT_FOREGROUND_SAMPLING },
  patchSize: [16, 16, 16], batchSize: 2, numPools: 4, voxelBudget: 100000,
};

interface Saveable extends AnyModule { architecture(): unknown }

/** <work>/plan.json and <work>/models/m/fold_0 with config.json, architecture.json and checkpoint_final. */
async function writeFolder(work: string, net: Saveable, classes = 3): Promise<string> {
  const dir = join(work, 'models', 'm', 'fold_0');
  mkdirSync(dir, { recursive: true });
  await savePlan(join(work, 'plan.json'), plan);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    name: 'm', fold: 0, trainCases: ['x'], valCases: ['y'], patchSize: [16, 16, 16],
    dataset: { name: 'folder_test', workDir: work, preprocessedDir: join(work, 'preprocessed'), planHash: planHash(plan), inChannels: 1, classes,
      labels: [{ name: 'a', value: 1 }, { name: 'b', value: 2 }] },
  }));
  writeFileSync(join(dir, 'architecture.json'), JSON.stringify(net.architecture()));
  saveWeights(join(dir, 'checkpoint_final.safetensors'), net, { epoch: '7' });
  return dir;
}

function maxDiff(a: Tensor, b: Tensor): number {
  return noGrad(() => { const d = a.sub(b).abs(); const m = d.max().item(); d.dispose(); return m; });
}

/** The saved network's full-resolution logits vs the loaded one's (which must return only those). */
async function checkSameLogits(dir: string, net: { forward(x: Tensor): { logits: Tensor[] } }, what: string): Promise<void> {
  const model = await loadModelFolder(dir);
  try {
    assert.equal(model.checkpoint.epoch, 7);
    assert.deepEqual(model.patchSize, [16, 16, 16]);
    const x = randn([1, 1, 16, 16, 16], { generator: new Generator(5) });
    inferenceMode(() => {
      const want = net.forward(x).logits;
      const got = model.network.forward(x).logits;
      assert.equal(got.length, 1, `${what}: prediction runs without the deep-supervision outputs`);
      assert.deepEqual(got[0]!.shape, [1, 3, 16, 16, 16]);
      assert.ok(maxDiff(got[0]!, want[0]!) < 1e-5, `${what}: logits differ by ${maxDiff(got[0]!, want[0]!)}`);
      [...want, ...got].forEach((t) => t.dispose());
    });
    x.dispose();
  } finally {
    model.network.dispose();
  }
}

test('a pruned PSP-Seg folder: same architecture and logits as the saved network; strict weights; the dataset must fit', async (t) => {
  const work = tempDir(t);
  const before = liveTensorCount();
  const arch = pspArchitecture({ channels: [4, 8, 16, 32, 64], classes: 3, deepSupervision: true });
  const net = buildNetwork(arch, { generator: new Generator(1) }) as PSPSegNet;
  noGrad(() => { for (const [name, p] of net.namedParameters()) if (name.endsWith('.scale')) p.fill_(0.5); });
  const prms = new Map(net.prms());
  prms.get('enc1')!.mask(2);
  prms.get('dec1')!.deleteBlock(1);
  prms.get('enc4')!.deleteBlock(0);
  const dir = await writeFolder(work, net);
  const loaded = await loadModelFolder(dir);
  assert.ok(loaded.network instanceof PSPSegNet);
  assert.deepEqual(loaded.network.architecture(), net.architecture(), 'masked and deleted blocks as saved');
  assert.ok(!loaded.network.stateDict().has('dec1.b1.reduce.weight'));
  loaded.network.dispose();
  await checkSameLogits(dir, net, 'pruned PSP-Seg');

  // strict: a tensor missing, or one the architecture does not have
  const weights = join(dir, 'checkpoint_final.safetensors');
  const state = net.stateDict();
  const head = state.get('head.weight')!;
  state.delete('head.weight');
  saveSafetensors(weights, state);
  await assert.rejects(loadModelFolder(dir), (e: Error) => e.message.startsWith(weights) && /missing key\(s\): head\.weight/.test(e.message));
  const unpruned = buildNetwork(arch, { generator: new Generator(1) });
  saveWeights(weights, unpruned);
  await assert.rejects(loadModelFolder(dir), (e: Error) => e.message.startsWith(weights) && /unexpected key\(s\): .*dec1\.b1\./.test(e.message));
  unpruned.dispose();
  state.set('head.weight', head);

  // the architecture has 3 classes, the run's dataset 2
  const other = await writeFolder(join(work, 'two'), net, 2);
  await assert.rejects(loadModelFolder(other), (e: Error) => e.message.startsWith(join(other, 'architecture.json'))
    && /cannot build the network: the network takes 1 channel\(s\) and has 3 classes, the run's dataset 1 and 2/.test(e.message));
  net.dispose();
  assert.equal(liveTensorCount(), before, 'no tensor left behind');
});

test('PlainUNet and small U-Net folders: same logits as the saved networks', async (t) => {
  const plain = buildNetwork(plainIsotropic(3, { classes: 3, channels: [4, 8, 16] }), { generator: new Generator(2) }) as PlainUNet;
  await checkSameLogits(await writeFolder(tempDir(t), plain), plain, 'PlainUNet');
  plain.dispose();
  const small = new SmallUNet(1, 3, new Generator(3), [4, 8, 16]);
  await checkSameLogits(await writeFolder(tempDir(t), small), small, 'small U-Net');
  small.dispose();
});
