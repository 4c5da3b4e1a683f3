/**
 * Parameter counts against the references (1 input channel, 3 classes): PSP-Seg S/B/L as the authors'
 * network (docs/method.md, "Variants and parameter counts"), nnU-Net's PlainConvUNet at 128^3 (6 stages) and for its hippocampus plan
 * (4 stages). Also names, initialisation and reproducibility.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, tidy } from '../src/tensor/index.js';
import { PSP_VARIANTS, PSPSegNet, type PspVariant, buildNetwork, plainArchitectureFromPlan, plainIsotropic, pspArchitecture } from '../src/models/index.js';

const count = (arch: Parameters<typeof buildNetwork>[0]): number => {
  const net = buildNetwork(arch);
  try { return net.numParameters(); } finally { net.dispose(); }
};
const REFERENCE: Record<PspVariant, number> = { S: 5_368_735, B: 13_194_484, L: 33_126_658 };

for (const v of ['S', 'B', 'L'] as const) {
  test(`PSP-Seg ${v} has the authors' parameter count, and each deep-supervision head adds C_i*classes+classes`, () => {
    assert.equal(count(pspArchitecture({ variant: v, classes: 3, deepSupervision: false })), REFERENCE[v]);
    const C = PSP_VARIANTS[v].channels, heads = C.slice(1, C.length - 1); // dec1..dec{S-2}: 1..3 (S, B), 1..4 (L)
    assert.equal(heads.length, v === 'L' ? 4 : 3);
    const withHeads = REFERENCE[v] + heads.reduce((n, c) => n + c * 3 + 3, 0);
    assert.equal(count(pspArchitecture({ variant: v, classes: 3, deepSupervision: true })), withHeads);
  });
}

test('1-branch PSP-Seg S (the "no PRM" ablation) has 3.74M parameters', () => {
  const n = count(pspArchitecture({ variant: 'S', branches: 1, classes: 3, deepSupervision: false }));
  assert.equal((n / 1e6).toFixed(2), '3.74');
});

test('affine InstanceNorm (as the spec\'s text has it; see docs/method.md, departures) adds 2 C per norm; the reference counts have none', () => {
  const plain = count(pspArchitecture({ variant: 'S', classes: 3, deepSupervision: false }));
  const affine = count(pspArchitecture({ variant: 'S', classes: 3, deepSupervision: false, normAffine: true }));
  const C = PSP_VARIANTS.S.channels, h = (c: number) => Math.floor(c * 0.5);
  // enc0, dec0: one norm at C0; down{i}: two at C_i; each of the 4 blocks of enc1..4, dec1..3: norm1 (h) + norm2 (C).
  const prmChannels = [...C.slice(1), ...C.slice(1, -1)];
  const norms = 2 * C[0]! + C.slice(1).reduce((n, c) => n + 2 * c, 0) + prmChannels.reduce((n, c) => n + 4 * (h(c) + c), 0);
  assert.equal(affine - plain, 2 * norms);
});

test('PlainUNet: 6 stages [32..320] (128^3) and the 4-stage hippocampus plan match nnU-Net, heads on every decoder stage', () => {
  const six = plainIsotropic(6, { classes: 3 });
  assert.deepEqual(six.channels, [32, 64, 128, 256, 320, 320]);
  assert.equal(count(six), 31_196_399);
  // nnU-Net v2's 3d_fullres plan of MSD Task04: spacing 1 mm, patch [40, 56, 40] (nnU-Net's documentation).
  const hippo = plainArchitectureFromPlan({ targetSpacing: [1, 1, 1], patchSize: [40, 56, 40], channels: [{}] as never, labels: [{}, {}, {}] as never });
  assert.deepEqual(hippo.channels, [32, 64, 128, 256]);
  assert.equal(hippo.classes, 3);
  assert.equal(count(hippo), 5_603_177);
  // Deep supervision only changes what forward returns, never the parameters (nnU-Net builds every head).
  assert.equal(count({ ...hippo, deepSupervision: false }), 5_603_177);
});

test('parameter names follow the shared naming; norms carry no parameters unless affine', () => {
  const net = new PSPSegNet(pspArchitecture({ variant: 'L', classes: 3 }));
  const names = new Set(net.namedParameters().map(([n]) => n));
  for (const n of ['stem.weight', 'stem.bias', 'enc0.conv.weight', 'down1.skip.weight', 'down1.conv1.weight', 'down5.conv2.bias',
    'enc5.b6.reduce.weight', 'enc5.b6.conv.weight', 'enc1.b0.scale', 'up5.conv.weight', 'up1.conv.bias', 'dec4.b3.conv.weight', 'dec1.b0.scale',
    'dec0.conv.weight', 'head.weight', 'head1.weight', 'head4.bias']) assert.ok(names.has(n), n);
  assert.ok(!names.has('dec5.b0.scale') && !names.has('head5.weight') && !names.has('enc0.norm.weight'));
  assert.deepEqual(net.namedParameters().find(([n]) => n === 'enc3.b4.conv.weight')![1].shape, [128, 256, 1, 3, 3]);
  net.dispose();
  const plain = buildNetwork(plainIsotropic(3, { classes: 2 }));
  const pn = plain.namedParameters().map(([n]) => n);
  for (const n of ['encoder.stages.0.0.convs.0.conv.weight', 'encoder.stages.2.0.convs.1.norm.bias', 'decoder.transpconvs.0.weight',
    'decoder.stages.1.convs.0.conv.weight', 'decoder.seg_layers.1.bias']) assert.ok(pn.includes(n), n);
  plain.dispose();
});

test('initialisation: Kaiming-normal conv weights (a = 0.01), zero biases, PRM weights 0; a Generator makes it reproducible', () => {
  const a = new PSPSegNet(pspArchitecture({ variant: 'S' }), { generator: new Generator(7) });
  const b = new PSPSegNet(pspArchitecture({ variant: 'S' }), { generator: new Generator(7) });
  tidy(() => {
    const pa = new Map(a.namedParameters()), pb = new Map(b.namedParameters());
    for (const [k, p] of pa) {
      assert.equal(p.sub(pb.get(k)!).abs().max().item(), 0, `${k} reproducible`);
      if (k.endsWith('.bias') || k.endsWith('.scale')) assert.equal(p.abs().max().item(), 0, `${k} is zero`);
    }
    const w = pa.get('down4.conv2.weight')!; // 256 x 256 x 27
    const expected = Math.sqrt(2 / (1 + 1e-4)) / Math.sqrt(256 * 27);
    assert.ok(Math.abs(w.std().item() / expected - 1) < 0.01, 'Kaiming std');
  });
  a.dispose();
  b.dispose();
});
