/**
 * Output shapes of every variant (from a real forward pass and from the layout's outputShape, which
 * must agree), anisotropic patches, nnU-Net's topology rules, and clear errors for patch sizes a
 * network cannot take.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tensor, noGrad, randn, tidy, zeros } from '../src/tensor/index.js';
import {
  PatchSizeError, type SegmentationNetwork, type Triple, buildNetwork, nearestValidSizes, plainArchitectureFromPlan, plainIsotropic,
  plainTopology, pspArchitecture,
} from '../src/models/index.js';

const shapes = (ts: Tensor[]) => ts.map((t) => t.shape);

/** Runs the network on a patch and checks logits / features / region against the layout and the strides. */
function checkShapes(net: SegmentationNetwork, patch: Triple, strides: Triple[], classes: number, channels: number[], deepSupervision: boolean): void {
  tidy(() => noGrad(() => {
    const out = net.forward(randn([2, net.inChannels, ...patch]));
    // Stage s has the patch divided by the strides of stages 1..s.
    const scale: Triple[] = [];
    strides.reduce((acc, s) => { const n = acc.map((v, a) => v * s[a]!) as Triple; scale.push(n); return n; }, [1, 1, 1] as Triple);
    const at = (s: number) => patch.map((n, a) => n / scale[s]![a]!);
    assert.deepEqual(shapes(out.encoderFeatures), channels.map((c, s) => [2, c, ...at(s)]));
    const expectedLogits = (deepSupervision ? channels.slice(0, -1) : channels.slice(0, 1)).map((_, s) => [2, classes, ...at(s)]);
    assert.deepEqual(shapes(out.logits), expectedLogits);
    if (channels.length >= 3) assert.deepEqual(out.regionFeatures?.shape, [2, channels[1], ...at(1)]);
    else assert.equal(out.regionFeatures, null);
    // The analytic layout agrees with what ran.
    const rows = new Map(net.layout(patch, 2).map((r) => [r.name, r.output]));
    const last = net.constructor.name === 'PSPSegNet' ? 'head' : `decoder.seg_layers.${channels.length - 2}`;
    assert.deepEqual(rows.get(last), out.logits[0]!.shape);
    const bottleneck = net.constructor.name === 'PSPSegNet' ? `enc${channels.length - 1}` : `encoder.stages.${channels.length - 1}`;
    assert.deepEqual(rows.get(bottleneck), out.encoderFeatures.at(-1)!.shape);
  }));
}

const iso = (n: number): Triple[] => Array.from({ length: n }, (_, s): Triple => (s === 0 ? [1, 1, 1] : [2, 2, 2]));

for (const v of ['S', 'B', 'L'] as const) {
  test(`PSP-Seg ${v}: shapes for a cubic and an anisotropic patch${v === 'S' ? ', with and without deep supervision' : ''}`, () => {
    for (const ds of v === 'S' ? [true, false] : [true]) {
      const arch = pspArchitecture({ variant: v, inChannels: 2, classes: 4, deepSupervision: ds });
      const net = buildNetwork(arch);
      const unit = v === 'L' ? 32 : 16;
      checkShapes(net, [unit, unit, unit], iso(arch.channels.length), 4, arch.channels, ds);
      checkShapes(net, [unit, 3 * unit, 2 * unit], iso(arch.channels.length), 4, arch.channels, ds);
      net.dispose();
    }
  });
}

test('deep supervision can be switched off at run time: only the full-resolution logits, the same values', () => {
  for (const arch of [pspArchitecture({ variant: 'S', channels: [4, 8, 16], classes: 3 }), plainIsotropic(3, { classes: 3 })]) {
    const net = buildNetwork(arch);
    tidy(() => noGrad(() => {
      const x = randn([1, 1, 8, 8, 8]);
      const all = net.forward(x).logits;
      assert.equal(all.length, 2);
      net.deepSupervision = false;
      const one = net.forward(x).logits;
      assert.equal(one.length, 1);
      assert.equal(one[0]!.ne(all[0]!).sum().item(), 0);
    }));
    net.dispose();
  }
});

test('PlainUNet from a plan with anisotropic spacing pools the coarse axis fewer times and still fits together', () => {
  // Spacing 4 mm x 0.8 x 0.8, patch [16, 64, 48]: the first two steps pool only in-plane (kernels 1x3x3)
  // until the in-plane spacing (3.2) is within 2x of 4 mm; then all axes ([8, 8, 6] left); then only the
  // axes still >= 8 voxels ([4, 4, 6]), and nothing is >= 8 any more.
  const plan = { targetSpacing: [4, 0.8, 0.8] as Triple, patchSize: [16, 64, 48] as Triple, channels: [{}] as never, labels: [{}, {}, {}] as never };
  const t = plainTopology(plan.targetSpacing, plan.patchSize);
  assert.deepEqual(t.strides, [[1, 1, 1], [1, 2, 2], [1, 2, 2], [2, 2, 2], [2, 2, 1]]);
  assert.deepEqual(t.kernels, [[1, 3, 3], [1, 3, 3], [3, 3, 3], [3, 3, 3], [3, 3, 3]]);
  assert.deepEqual(t.poolsPerAxis, [2, 4, 3]);
  const arch = plainArchitectureFromPlan(plan);
  assert.deepEqual(arch.strides, t.strides);
  const net = buildNetwork(arch);
  checkShapes(net, plan.patchSize, t.strides, 3, arch.channels, true);
  net.dispose();
});

test("nnU-Net's topology rules: isotropic hippocampus plan, prostate-like spacing, the min-size rule for one axis", () => {
  // nnU-Net v2's documented 3d_fullres plan of Task04 (spacing 1, patch [40, 56, 40]): 3 pools per axis, 3x3x3 kernels.
  const h = plainTopology([1, 1, 1], [40, 56, 40]);
  assert.deepEqual(h.poolsPerAxis, [3, 3, 3]);
  assert.deepEqual(h.kernels, [[3, 3, 3], [3, 3, 3], [3, 3, 3], [3, 3, 3]]);
  assert.deepEqual(h.features, [32, 64, 128, 256]);
  // Spacing [3.6, 0.625, 0.625], patch [20, 320, 256]: in-plane twice, then all twice (axis 0 reaches 5 < 8),
  // then in-plane twice more (sizes 10, 8 -> 5, 4). Kernels 1x3x3 until axis 0's spacing is within 2x.
  const p = plainTopology([3.6, 0.625, 0.625], [20, 320, 256]);
  assert.deepEqual(p.strides, [[1, 1, 1], [1, 2, 2], [1, 2, 2], [2, 2, 2], [2, 2, 2], [1, 2, 2], [1, 2, 2]]);
  assert.deepEqual(p.kernels.slice(0, 3), [[1, 3, 3], [1, 3, 3], [3, 3, 3]]);
  assert.deepEqual(p.features, [32, 64, 128, 256, 320, 320, 320]);
  // A single remaining axis is pooled only while it is >= 3 * 4 voxels: [8, 8, 24] pools all once, then axis 2 (12) once more.
  assert.deepEqual(plainTopology([1, 1, 1], [8, 8, 24]).strides, [[1, 1, 1], [2, 2, 2], [1, 1, 2]]);
  assert.deepEqual(plainTopology([1, 1, 1], [8, 8, 20]).strides, [[1, 1, 1], [2, 2, 2]]);
  // Patches that do not fit nnU-Net's strides are rounded up (pad_shape) and a plan with one is refused, naming the fix.
  assert.deepEqual(plainTopology([1, 1, 1], [144, 128, 128]).patchSize, [160, 128, 128]);
  assert.throws(() => plainArchitectureFromPlan({ targetSpacing: [1, 1, 1], patchSize: [144, 128, 128], channels: [{}] as never, labels: [{}, {}] as never }, {}, 'plan.json'),
    /plan\.json: patch size \[144, 128, 128\] is not divisible by \[32, 32, 32\].*nnU-Net would use patch size \[160, 128, 128\]/);
});

test('patch sizes a network cannot take fail with the nearest valid sizes', () => {
  assert.deepEqual(nearestValidSizes(100, 16), [96, 112]);
  assert.deepEqual(nearestValidSizes(96, 16), [96]);
  assert.deepEqual(nearestValidSizes(5, 16), [16]);
  const net = buildNetwork(pspArchitecture({ variant: 'S' }));
  assert.throws(() => net.checkPatch([100, 128, 8]), (err: unknown) => {
    assert.ok(err instanceof PatchSizeError);
    assert.match(err.message, /PSP-Seg S cannot take patch size \[100, 128, 8\]/);
    assert.match(err.message, /multiple of the network's total stride \[16, 16, 16\]/);
    assert.match(err.message, /axis 0: 100 -> 96 or 112; axis 2: 8 -> 16/);
    return true;
  });
  assert.throws(() => tidy(() => net.forward(zeros([1, 1, 24, 32, 32]))), /axis 0: 24 -> 16 or 32/);
  assert.throws(() => tidy(() => net.forward(zeros([1, 2, 32, 32, 32]))), /input has 2 channels, the network takes 1/);
  assert.throws(() => net.layout([20, 32, 32]), PatchSizeError);
  net.dispose();
  const plain = buildNetwork(plainArchitectureFromPlan({ targetSpacing: [4, 0.8, 0.8], patchSize: [16, 64, 48], channels: [{}] as never, labels: [{}, {}] as never }));
  assert.deepEqual(plain.totalStride(), [4, 16, 8]);
  assert.throws(() => plain.checkPatch([15, 64, 44]), /axis 0: 15 -> 12 or 16; axis 2: 44 -> 40 or 48/);
  plain.dispose();
  const six = buildNetwork(plainIsotropic(6));
  assert.throws(() => six.checkPatch([128, 128, 100]), /\[32, 32, 32\].*axis 2: 100 -> 96 or 128/);
  six.dispose();
});
