/**
 * PSP-Seg S network + loss against the PyTorch reference (scripts/torch_pspseg.py --network-fixture,
 * float64): the same weights (generated from the fixture's rule and loaded from safetensors), the
 * same input and targets; logits, every loss term and the parameter gradients agree to 1e-4
 * relative. Gradients are compared relative to max(own norm, gradFloor x global norm): a few
 * (PRM scales) are sums that cancel almost completely, so float32 cannot give them 1e-4 of their
 * own size; float32 PyTorch lands within the fixture's `float32PyTorchError` of the reference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Tensor, noGrad, tensor, tidy } from '../src/tensor/index.js';
import { loadSafetensors, saveSafetensors } from '../src/tensor/index.js';
import { loadWeights } from '../src/nn/index.js';
import { maskInput, parseLossConfig, pspsegLoss } from '../src/losses/index.js';
import type { NetworkOutput } from '../src/nn/index.js';
import { PSPSegNet, pspArchitecture } from '../src/models/index.js';
import { fixturesDir, readFixture } from './helpers.js';

// ---- glue: the one place that knows the models API (adapt here when it lands) -------------------
interface NetworkUnderTest {
  forward(x: Tensor): NetworkOutput;
  encode(x: Tensor): Tensor[];
  namedParameters(): [string, Tensor][];
  dispose(): void;
}
async function buildNetwork(weightsPath: string): Promise<NetworkUnderTest> {
  const net = new PSPSegNet(pspArchitecture({ variant: 'S', inChannels: 1, classes: 3, deepSupervision: true, normAffine: fx.affine }));
  loadWeights(weightsPath, net);
  return net;
}
// --------------------------------------------------------------------------------------------------

interface WeightRule { name: string; shape: number[]; offset: number; amplitude: number; sum: number }
interface NetworkFixture {
  variant: string; affine: boolean; fillValue: number; config: Record<string, unknown>;
  terms: Record<'total' | 'seg' | 'dice' | 'ce' | 'tr' | 'rl', number>;
  numParameters: number; gradNorm: number; gradFloor: number; gradNorms: Record<string, number>; gradParams: string[];
  float32PyTorchError: Record<string, number>; weights: WeightRule[];
}
const fx = readFixture<NetworkFixture>('network_reference.json');
const RTOL = 1e-4;

/** fmix32 (MurmurHash3's finaliser) in uint32 arithmetic. */
function fmix32(x: number): number {
  x ^= x >>> 16; x = Math.imul(x, 0x85ebca6b) >>> 0;
  x ^= x >>> 13; x = Math.imul(x, 0xc2b2ae35) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}
function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}
/** The fixture's weights: float32(offset + amplitude * u), u = fmix32(i * 0x9E3779B9 + fnv1a32(name)) >> 8 scaled to [-1, 1). */
function ruleValues(r: WeightRule): Float32Array {
  const n = r.shape.reduce((a, b) => a * b, 1), seed = fnv1a32(r.name);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = (fmix32((Math.imul(i, 0x9e3779b9) + seed) >>> 0) >>> 8) / 2 ** 23 - 1;
    out[i] = r.offset + r.amplitude * u;
  }
  return out;
}

test('the fixture weights regenerate exactly from their rule (hash in TypeScript = hash in numpy)', () => {
  for (const r of fx.weights) {
    const v = ruleValues(r);
    let sum = 0;
    for (const x of v) sum += x;
    assert.ok(Math.abs(sum - r.sum) <= 1e-9 * Math.max(1, Math.abs(r.sum)) + 1e-6, `${r.name}: sum ${sum} vs numpy ${r.sum}`);
  }
});

test('PSP-Seg S network + loss agree with the PyTorch reference (logits, terms, parameter gradients)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pspseg-netref-'));
  const weightsPath = join(dir, 'weights.safetensors');
  tidy(() => saveSafetensors(weightsPath, new Map(fx.weights.map((r) => [r.name, tensor(ruleValues(r), r.shape)])), { fixture: 'network_reference' }));
  const net = await buildNetwork(weightsPath);
  const file = loadSafetensors(join(fixturesDir, 'network_reference.safetensors')).tensors;
  const get = (k: string): Tensor => { const x = file.get(k); if (!x) throw new Error(`network_reference.safetensors: no '${k}'`); return x; };
  const errors: Record<string, number> = {};
  const note = (k: string, e: number) => { errors[k] = Math.max(errors[k] ?? 0, e); };
  try {
    const params = new Map(net.namedParameters());
    assert.equal([...params.values()].reduce((n, p) => n + p.numel, 0), fx.numParameters, 'parameter count');
    tidy(() => {
      const image = get('image');
      const targets = [0, 1, 2, 3].map((i) => get(`target${i}`).to('int64'));
      const maskedFeatures = noGrad(() => net.encode(maskInput(image, targets[0]!, fx.fillValue)));
      const out = net.forward(image);
      out.logits.forEach((l, i) => {
        const ref = get(`logits${i}`);
        assert.deepEqual(l.shape, ref.shape, `logits ${i} shape`);
        const e = l.sub(ref).abs().max().item() / ref.abs().max().item();
        note('logits', e);
        assert.ok(e <= RTOL, `logits ${i}: relative error ${e.toExponential(2)}`);
      });
      const { total: loss, terms } = pspsegLoss(out, maskedFeatures, targets, parseLossConfig(fx.config));
      for (const [k, v] of Object.entries(fx.terms)) {
        const e = Math.abs(terms[k as keyof typeof terms]! - v) / Math.abs(v);
        note('terms', e);
        assert.ok(e <= RTOL, `${k}: ${terms[k as keyof typeof terms]} vs ${v}`);
      }
      loss.backward();
      const floor = fx.gradFloor * fx.gradNorm;
      let total = 0;
      for (const [name, refNorm] of Object.entries(fx.gradNorms)) {
        const p = params.get(name);
        assert.ok(p, `the network has no parameter '${name}'`);
        const g = p.grad;
        const norm = g ? g.double().norm().item() : 0; // float64: a float32 norm of 1.7M values is itself off by ~1e-5
        total += norm * norm;
        const e = Math.abs(norm - refNorm) / Math.max(refNorm, floor);
        note('param grad norms', e);
        assert.ok(e <= RTOL, `${name}: gradient norm ${norm} vs ${refNorm}`);
      }
      const eTotal = Math.abs(Math.sqrt(total) - fx.gradNorm) / fx.gradNorm;
      note('global grad norm', eTotal);
      assert.ok(eTotal <= RTOL, `global gradient norm ${Math.sqrt(total)} vs ${fx.gradNorm}`);
      for (const name of fx.gradParams) {
        const ref = get(`grad.${name}`).double(), g = params.get(name)!.grad!.double();
        const e = g.sub(ref).norm().item() / Math.max(ref.norm().item(), floor);
        note('param grads', e);
        assert.ok(e <= RTOL, `${name}: gradient relative error ${e.toExponential(2)}`);
      }
    });
    t.diagnostic(`relative errors: ${Object.entries(errors).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}; ` +
      `float32 PyTorch: ${JSON.stringify(fx.float32PyTorchError)}`);
  } finally {
    net.dispose();
    for (const x of file.values()) x.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
