/** `pspseg model`: the summary, its JSON line, and the architecture from options, a saved file or a plan. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { model } from '../src/cli/commands/model.js';
import { savePlan } from '../src/data/plan/plan_file.js';
import { DEFAULT_RESAMPLING } from '../src/data/preprocess/resample.js';
import { PLAN_VERSION, type Plan } from '../src/data/plan/plan_schema.js';
import { type PSPSegNet, buildNetwork, plainArchitectureFromPlan, pspArchitecture, saveArchitecture } from '../src/models/index.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'pspseg-model-cli-'));

async function runModel(...args: string[]): Promise<{ code: number; out: string; err: string; json?: Record<string, unknown> }> {
  const out: string[] = [], err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  console.error = (...a: unknown[]) => { err.push(a.join(' ')); };
  try {
    const code = await model.run(args);
    const text = out.join('\n');
    const last = text.trim().split('\n').pop() ?? '';
    return { code, out: text, err: err.join('\n'), json: last.startsWith('{') ? JSON.parse(last) as Record<string, unknown> : undefined };
  } finally {
    console.log = log;
    console.error = error;
  }
}

/** A plan as `pspseg plan` writes it: 2 channels, 3 labels, anisotropic spacing (network axis order). */
function anisotropicPlan(): Plan {
  const intensity = { mean: 0, std: 1, median: 0, min: -1, max: 1, percentile_00_5: -1, percentile_99_5: 1 };
  return {
    version: PLAN_VERSION, dataset: { name: 'Aniso', root: '/nowhere', numCases: 4 },
    labels: [{ name: 'background', value: 0 }, { name: 'a', value: 1 }, { name: 'b', value: 2 }],
    channels: ['T1', 'T2'].map((name) => ({ name, scheme: 'zscore' as const, useMask: false, intensity, foregroundPercentile005Normalized: -1 })),
    transposeForward: [0, 1, 2], transposeBackward: [0, 1, 2], targetSpacing: [4, 0.8, 0.8], medianSpacing: [4, 0.8, 0.8],
    medianShape: [20, 80, 60], medianRelativeSizeAfterCropping: 1, resampling: DEFAULT_RESAMPLING,
    foregroundSampling: { samplesPerClass: 100, minCoverage: 0.01, seed: 1 }, patchSize: [16, 64, 48], batchSize: 3, numPools: 4, voxelBudget: 2 * 16 * 64 * 48 * 2,
  };
}

test('pspseg model prints the table and ends with a JSON line whose params match the reference', async () => {
  const r = await runModel('--variant', 'B', '--classes', '3', '--no-deep-supervision', '--patch', '64', '--json');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.json?.params, 13_194_484);
  assert.match(r.out, /Total parameters: 13,194,484 \(13\.19M\)/);
  assert.match(r.out, /^enc4 +ParallelRedundantModule +\[2, 256, 4, 4, 4\]/m);
  assert.match(r.out, /^head +Conv3d +\[2, 3, 64, 64, 64\] +51 /m);
  assert.ok(!/head1/.test(r.out), 'no deep-supervision heads');
  const rows = r.json?.layers as { name: string; output: number[]; params: number }[];
  assert.equal(rows.reduce((n, x) => n + (x.name.includes('.') ? 0 : x.params), 0), 13_194_484, 'rows sum to the total');
  // PlainUNet by nnU-Net's rules from a patch: 128^3 gives the 6-stage network.
  const p = await runModel('--arch', 'plain', '--patch', '128', '--classes', '3', '--json');
  assert.equal(p.json?.params, 31_196_399);
});

test('pspseg model reads a plan (PlainUNet topology from its anisotropic spacing) and a saved architecture', async () => {
  const dir = tmp();
  const plan = anisotropicPlan();
  await savePlan(join(dir, 'plan.json'), plan);
  const r = await runModel('--arch', 'plain', '--plan', join(dir, 'plan.json'), '--json');
  assert.equal(r.code, 0, r.err);
  const expected = buildNetwork(plainArchitectureFromPlan(plan));
  assert.equal(r.json?.params, expected.numParameters());
  expected.dispose();
  assert.deepEqual(r.json?.patch, { x: 48, y: 64, z: 16 }, 'labelled per image axis');
  assert.equal(r.json?.batch, 3);
  const arch = r.json?.architecture as { inChannels: number; classes: number; strides: number[][] };
  assert.equal(arch.inChannels, 2);
  assert.equal(arch.classes, 3);
  assert.deepEqual(arch.strides.at(-1), [2, 2, 1], 'the coarse axis pools fewer times');
  // PSP-Seg L needs multiples of 32: the plan's patch does not fit, and the error says what would.
  const l = await runModel('--variant', 'L', '--plan', join(dir, 'plan.json'));
  assert.equal(l.code, 1);
  assert.match(l.err, /PSP-Seg L cannot take patch size \[16, 64, 48\].*axis 0: 16 -> 32; axis 2: 48 -> 32 or 64/);

  // A pruned network's folder: its architecture.json is read, block states included.
  const net = buildNetwork(pspArchitecture({ variant: 'S', classes: 3 })) as PSPSegNet;
  const [[, enc1], [, enc2]] = net.prms();
  enc1!.mask(0);
  enc2!.mask(3);
  enc2!.deleteMasked();
  saveArchitecture(join(dir, 'architecture.json'), net.architecture());
  const f = await runModel('--from', dir, '--patch', '32', '--blocks', '--json');
  assert.equal(f.code, 0, f.err);
  assert.equal(f.json?.params, net.numParameters());
  assert.match(f.out, /PRM blocks: 26 active, 1 masked, 1 deleted/);
  assert.match(f.out, /^ {2}enc1\.b0 .*kernel 1x1x1, masked$/m);
  assert.ok(!/enc2\.b3/.test(f.out), 'deleted blocks are gone');
  net.dispose();
});

test('pspseg model: bad usage exits 2, bad files and patch sizes exit 1 with a clear message', async () => {
  const bad = await runModel('--patch', '100');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /multiple of the network's total stride \[16, 16, 16\]; nearest valid sizes: axis 0: 100 -> 96 or 112/);
  assert.equal((await runModel('--variant', 'X')).code, 2);
  assert.equal((await runModel('--arch', 'plain', '--ratio', '2')).code, 2);
  assert.equal((await runModel('--from', 'x.json', '--variant', 'S')).code, 2);
  assert.equal((await runModel('--bogus')).code, 2);
  const missing = await runModel('--from', join(tmp(), 'none.json'));
  assert.equal(missing.code, 1);
  assert.match(missing.err, /none\.json: architecture file does not exist/);
  const h = await runModel('--help');
  assert.equal(h.code, 0);
  assert.match(h.out, /usage: pspseg model/);
});

test('--ranks: the memory is one rank\'s, for its share of the batch; a batch the ranks cannot split is refused', async () => {
  const split = await runModel('--patch', '32', '--batch', '4', '--ranks', '2', '--json');
  const whole = await runModel('--patch', '32', '--batch', '2', '--json');
  assert.equal(split.code, 0, split.err);
  assert.equal(split.json!.activationBytes, whole.json!.activationBytes);
  assert.deepEqual([split.json!.batch, split.json!.ranks, split.json!.batchPerRank], [4, 2, 2]);
  assert.match(split.out, /batch 4 over 2 ranks, 2 per rank \(memory per rank\)/);
  assert.equal(split.out.split('\n').find((l) => l.startsWith('Memory of a training step')), whole.out.split('\n').find((l) => l.startsWith('Memory of a training step')));
  const bad = await runModel('--patch', '32', '--batch', '3', '--ranks', '2');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /batch 3 cannot be split evenly over 2 ranks/);
});
