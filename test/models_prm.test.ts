/**
 * PRM block states: masking equals dropping the block from the sum (its weight set to 0), deletion
 * keeps outputs bit-identical and removes exactly the block's parameters, a PRM with no active block is
 * the identity, and a pruned network rebuilt from its architecture file with its safetensors weights
 * gives identical outputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, type Tensor, liveTensorCount, noGrad, randn, tidy } from '../src/tensor/index.js';
import { loadWeights, saveWeights } from '../src/nn/index.js';
import {
  ParallelRedundantModule, type PSPSegNet, type Triple, buildNetwork, BRANCH_KERNELS, loadArchitecture, pspArchitecture, saveArchitecture,
} from '../src/models/index.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'pspseg-models-'));
const identical = (a: Tensor, b: Tensor, what: string) => tidy(() => {
  assert.deepEqual(a.shape, b.shape, what);
  assert.equal(a.ne(b).sum().item(), 0, `${what}: bit-identical`);
});
const randomScales = (m: ParallelRedundantModule, g: Generator) => noGrad(() => {
  for (const j of m.kernels.keys()) m.block(j)?.scale.copy_(tidy(() => randn([1], { generator: g })));
});

test('a masked block is skipped: same output as the block with its weight set to 0; unmasking restores it', () => {
  const g = new Generator(1);
  const prm = new ParallelRedundantModule(8, BRANCH_KERNELS[7], 2, { normAffine: false, generator: g });
  randomScales(prm, g);
  tidy(() => {
    const x = randn([2, 8, 6, 6, 6], { generator: g });
    const full = prm.forward(x);
    prm.mask(3);
    prm.mask(5);
    assert.deepEqual(prm.indicesIn('masked'), [3, 5]);
    const masked = prm.forward(x);
    assert.ok(masked.sub(full).abs().max().item() > 1e-3, 'masking changes the output');
    prm.unmask(3);
    prm.unmask(5);
    identical(prm.forward(x), full, 'unmasked again');
    // Reference: every block active, the two weights set to 0.
    const saved = [3, 5].map((j) => prm.block(j)!.scale.item());
    noGrad(() => { prm.block(3)!.scale.fill_(0); prm.block(5)!.scale.fill_(0); });
    identical(prm.forward(x), masked, 'masked == weight 0');
    noGrad(() => { prm.block(3)!.scale.fill_(saved[0]!); prm.block(5)!.scale.fill_(saved[1]!); });
    // forwardExcluding evaluates a candidate masking without changing the state.
    identical(prm.forwardExcluding(x, new Set([3, 5])), masked, 'forwardExcluding');
    assert.equal(prm.numActive, 7);
    // Masked blocks get no gradient (no compute); active ones do.
    prm.mask(2);
    prm.forward(x).sum().backward();
    assert.equal(prm.block(2)!.scale.grad, null);
    assert.ok(prm.block(1)!.scale.grad);
    prm.unmask(2);
  });
  prm.dispose();
});

test('with no active block a PRM returns its input itself; the network still runs and trains', () => {
  const prm = new ParallelRedundantModule(4, BRANCH_KERNELS[4], 0.5, { normAffine: false });
  for (const j of [0, 1, 2, 3]) prm.mask(j);
  tidy(() => {
    const x = randn([1, 4, 4, 4, 4]);
    assert.equal(prm.forward(x), x);
    assert.equal(prm.activationBytes([4, 4, 4, 4], 1), 0);
  });
  prm.dispose();
  const net = buildNetwork(pspArchitecture({ variant: 'S', channels: [4, 8, 16], classes: 2 })) as PSPSegNet;
  for (const [, m] of net.prms()) for (const j of m.kernels.keys()) m.mask(j);
  const before = liveTensorCount();
  tidy(() => {
    const out = net.forward(randn([1, 1, 8, 8, 8]));
    out.logits.reduce((a, l) => a.add(l.sum()), out.regionFeatures!.mean()).backward();
    assert.ok(net.namedParameters().find(([n]) => n === 'stem.weight')![1].grad);
  });
  net.zeroGrad();
  assert.equal(liveTensorCount(), before, 'no tensor leaks from forward/backward');
  net.dispose();
});

test('deleting masked blocks keeps outputs bit-identical and removes exactly their parameters; names stay stable', () => {
  const g = new Generator(3);
  const net = buildNetwork(pspArchitecture({ variant: 'B', channels: [4, 8, 16, 32], classes: 3 }), { generator: g }) as PSPSegNet;
  for (const [, m] of net.prms()) randomScales(m, g);
  const prms = new Map(net.prms());
  const toMask: [string, number][] = [['enc1', 0], ['enc1', 4], ['enc3', 6], ['dec2', 2], ['dec1', 5]];
  for (const [n, j] of toMask) prms.get(n)!.mask(j);
  const blockParams = toMask.reduce((s, [n, j]) => s + prms.get(n)!.block(j)!.numParameters(), 0);
  assert.ok(blockParams > 0);
  const count = net.numParameters();
  tidy(() => {
    const x = randn([2, 1, 8, 16, 8], { generator: g });
    const before = net.forward(x);
    for (const [, m] of net.prms()) m.deleteMasked();
    assert.equal(net.numParameters(), count - blockParams);
    const after = net.forward(x);
    before.logits.forEach((l, i) => identical(after.logits[i]!, l, `logits[${i}]`));
    before.encoderFeatures.forEach((f, i) => identical(after.encoderFeatures[i]!, f, `features[${i}]`));
    identical(after.regionFeatures!, before.regionFeatures!, 'region');
  });
  const names = net.namedParameters().map(([n]) => n);
  assert.ok(names.includes('enc1.b5.scale') && !names.includes('enc1.b4.scale') && !names.includes('enc1.b0.reduce.weight'));
  assert.deepEqual(prms.get('enc1')!.states, ['deleted', 'active', 'active', 'active', 'deleted', 'active', 'active']);
  assert.throws(() => prms.get('enc1')!.unmask(0), /b0 is deleted/);
  net.dispose();
});

test('a pruned network rebuilt from architecture.json + safetensors weights gives identical outputs', () => {
  const dir = tmp();
  const g = new Generator(5);
  const net = buildNetwork(pspArchitecture({ variant: 'S', channels: [4, 8, 16], inChannels: 2, classes: 3 }), { generator: g }) as PSPSegNet;
  for (const [, m] of net.prms()) randomScales(m, g);
  const prms = new Map(net.prms());
  prms.get('enc1')!.mask(1);
  prms.get('enc1')!.deleteMasked();
  prms.get('enc2')!.mask(2);  // masked, not deleted: kept in the file and rebuilt masked
  for (const j of [0, 1, 2, 3]) prms.get('dec1')!.mask(j);
  prms.get('dec1')!.deleteMasked(); // an empty PRM: the identity
  saveArchitecture(join(dir, 'architecture.json'), net.architecture());
  saveWeights(join(dir, 'weights.safetensors'), net);
  const arch = loadArchitecture(dir); // a folder is read through its architecture.json
  assert.deepEqual(arch.kind === 'psp' && arch.blocks, {
    enc1: ['active', 'deleted', 'active', 'active'], enc2: ['active', 'active', 'masked', 'active'], dec1: ['deleted', 'deleted', 'deleted', 'deleted'],
  });
  const rebuilt = buildNetwork(arch);
  loadWeights(join(dir, 'weights.safetensors'), rebuilt); // strict: same names and shapes
  assert.equal(rebuilt.numParameters(), net.numParameters());
  tidy(() => {
    const x = randn([1, 2, 8, 12, 4], { generator: g });
    const a = net.forward(x), b = rebuilt.forward(x);
    a.logits.forEach((l, i) => identical(b.logits[i]!, l, `logits[${i}]`));
    identical(b.regionFeatures!, a.regionFeatures!, 'region');
    const ea = net.encode(x), eb = rebuilt.encode(x);
    ea.forEach((f, i) => identical(eb[i]!, f, `encode[${i}]`));
    a.encoderFeatures.forEach((f, i) => identical(ea[i]!, f, `encode == encoderFeatures[${i}]`));
  });
  net.dispose();
  rebuilt.dispose();
});

test('architecture files: round trip, and errors that name the file and the field', () => {
  const dir = tmp();
  const arch = pspArchitecture({ variant: 'L', classes: 5 });
  const path = join(dir, 'a.json');
  saveArchitecture(path, arch);
  assert.deepEqual(loadArchitecture(path), arch);
  assert.throws(() => loadArchitecture(join(dir, 'missing.json')), /missing\.json: architecture file does not exist/);
  writeFileSync(join(dir, 'bad.json'), '{ not json');
  assert.throws(() => loadArchitecture(join(dir, 'bad.json')), /bad\.json: not valid JSON/);
  const edit = (f: (o: Record<string, unknown>) => void): RegExp | string => {
    const o = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    f(o);
    writeFileSync(join(dir, 'edited.json'), JSON.stringify(o));
    try { loadArchitecture(join(dir, 'edited.json')); return 'loaded'; } catch (err) { return (err as Error).message; }
  };
  assert.match(String(edit((o) => { o.ratio = -1; })), /edited\.json: invalid architecture: ratio: Number must be greater than 0/);
  assert.match(String(edit((o) => { o.kernels = [[1, 2, 1]]; })), /kernels\.0: kernel sizes must be odd/);
  assert.match(String(edit((o) => { o.blocks = { enc9: ['active'] }; })), /blocks\.enc9: no PRM named 'enc9' in a 6-stage network/);
  assert.match(String(edit((o) => { o.blocks = { enc1: ['active', 'gone'] }; })), /blocks\.enc1\.1: Invalid enum value/);
  assert.match(String(edit((o) => { o.blocks = { dec4: ['active'] }; })), /blocks\.dec4: has 1 block states for 7 kernels/);
  assert.match(String(edit((o) => { o.kind = 'resnet'; })), /kind: Invalid discriminator value/);
  assert.match(String(edit((o) => { o.extra = 1; })), /Unrecognized key\(s\) in object: 'extra'/);
  const kernels: Triple[] = [[3, 3, 3]];
  assert.throws(() => buildNetwork({ ...arch, kernels, blocks: { enc1: ['active', 'active'] } }), /blocks\.enc1: has 2 block states for 1 kernels/);
});
