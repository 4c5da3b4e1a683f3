/**
 * The training step's memory estimate (src/models/step_memory.ts) counts the tensors a real step holds:
 * checked against the sizes of the tensors a forward pass of a tiny network returns (encoder outputs,
 * logits, the full-resolution feature maps), summed here by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad, randn, tidy } from '../src/tensor/index.js';
import {
  allocatorFactor, type SegmentationNetwork, type Triple, buildNetwork, plainIsotropic, pspArchitecture, trainingStepMemory,
} from '../src/models/index.js';

const F32 = 4, BATCH = 2;

/** Element counts of what forward returns on a batch of the patch: encoder outputs and logits. */
function returned(net: SegmentationNetwork, patch: Triple): { encoder: number[]; logits: { numel: number; classes: number }[] } {
  return tidy(() => noGrad(() => {
    const out = net.forward(randn([BATCH, net.inChannels, ...patch]));
    return {
      encoder: out.encoderFeatures.map((t) => t.numel),
      logits: out.logits.map((t) => ({ numel: t.numel, classes: t.shape[1]! })),
    };
  }));
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
/** Per output: int64 target, softmax and log-softmax outputs (float32), one-hot and valid masks (one byte per class and voxel). */
const lossBytes = (logits: { numel: number; classes: number }[]) =>
  sum(logits.map(({ numel, classes }) => (numel / classes) * 8 + numel * 2 * F32 + numel));

test('PSP-Seg: the step counts the masked pass, the loss and the first gradients from the tensors forward returns', () => {
  const patch: Triple = [16, 16, 24];
  const net = buildNetwork(pspArchitecture({ channels: [4, 8, 16], inChannels: 2, classes: 3 }));
  const got = returned(net, patch);
  assert.equal(got.encoder.length, 3);
  assert.equal(got.logits.length, 2); // head and head1 (deep supervision)
  const voxels = patch[0] * patch[1] * patch[2];
  const encoderBytes = F32 * sum(got.encoder);
  const stage0 = F32 * BATCH * 4 * voxels; // the full-resolution 4-channel maps (stem, enc0, up1, dec0): the largest of the network
  assert.equal(F32 * got.encoder[0]!, stage0);

  const m = trainingStepMemory(net, patch, BATCH, { maskedEncoderPass: true });
  assert.equal(m.activations, net.activationBytes(patch, BATCH));
  assert.equal(m.parameters, net.numParameters() * F32 * 3); // weights, gradients, momentum
  assert.equal(m.loss, lossBytes(got.logits));
  // masked input (2 channels), the encoder outputs on it, TR's normalised copies of them
  assert.equal(m.maskedPass, F32 * BATCH * 2 * voxels + 2 * encoderBytes);
  // two gradients of a stage-0 map, TR's gradients of every encoder output and one temporary of the largest
  assert.equal(m.backward, 2 * stage0 + encoderBytes + stage0);
  assert.equal(m.live, m.parameters + m.activations + m.loss + m.maskedPass + m.backward);
  assert.equal(m.resident, allocatorFactor() * m.live);

  // Without TR nothing of the masked pass; AdamW keeps two moments.
  const plain = trainingStepMemory(net, patch, BATCH, { maskedEncoderPass: false, optimizerSlots: 2 });
  assert.equal(plain.maskedPass, 0);
  assert.equal(plain.backward, 2 * stage0);
  assert.equal(plain.parameters, net.numParameters() * F32 * 4);
});

test('PlainUNet: the loss counts only the outputs forward returns (deep supervision on and off)', () => {
  const patch: Triple = [16, 16, 16];
  for (const deepSupervision of [true, false]) {
    const net = buildNetwork(plainIsotropic(3, { inChannels: 1, classes: 4, deepSupervision }));
    const got = returned(net, patch);
    assert.equal(got.logits.length, deepSupervision ? 2 : 1);
    const m = trainingStepMemory(net, patch, BATCH, { maskedEncoderPass: false });
    assert.equal(m.loss, lossBytes(got.logits));
    // The largest map: the last decoder stage's (and the first encoder stage's) 32 channels at full resolution.
    assert.equal(m.backward, 2 * F32 * got.encoder[0]!);
    assert.equal(m.maskedPass, 0);
  }
});

test('a pruned PSP-Seg network keeps the part of the step that does not depend on its PRMs', () => {
  // Deleting PRM blocks shrinks the activations only: the masked pass, the loss and the first
  // gradients are the same (the reason a pruned network's step shrinks less than its activations).
  const patch: Triple = [16, 16, 16];
  const arch = pspArchitecture({ channels: [4, 8, 16], classes: 3 });
  const full = buildNetwork(arch);
  const one = buildNetwork({ ...arch, blocks: { enc1: ['active', 'deleted', 'deleted', 'deleted'], enc2: ['deleted', 'active', 'deleted', 'deleted'], dec1: ['deleted', 'deleted', 'active', 'deleted'] } });
  const a = trainingStepMemory(full, patch, BATCH, { maskedEncoderPass: true });
  const b = trainingStepMemory(one, patch, BATCH, { maskedEncoderPass: true });
  assert.ok(b.activations < a.activations);
  assert.deepEqual([b.loss, b.maskedPass, b.backward], [a.loss, a.maskedPass, a.backward]);
});
