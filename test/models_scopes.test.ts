/**
 * The networks free their intermediates through memory scopes (src/nn/chain.ts and tidy), never by
 * hand: a forward pass leaves alive exactly the tensors it returns, all of them usable, with and
 * without gradients, whatever the output options and with PRMs that pass their input through.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tensor, liveTensorCount, noGrad, randn, tidy } from '../src/tensor/index.js';
import { type PSPSegNet, type SegmentationNetwork, buildNetwork, plainIsotropic, pspArchitecture } from '../src/models/index.js';

/** Runs forward and encode and checks that what is newly alive is what they returned, each tensor once. */
function leavesOnlyItsOutputs(net: SegmentationNetwork, what: string): void {
  for (const grad of [true, false]) {
    tidy(() => {
      const x = randn([1, net.inChannels, 8, 8, 8]);
      const run = () => {
        let before = liveTensorCount();
        const out = net.forward(x);
        const returned = new Set<Tensor>([...out.logits, ...out.encoderFeatures, ...(out.decoderFeatures ?? [])]);
        if (out.regionFeatures) returned.add(out.regionFeatures);
        assert.ok([...returned].every((t) => !t.isDisposed), `${what}: every returned tensor is alive`);
        assert.equal(liveTensorCount() - before, returned.size, `${what} (${grad ? 'with' : 'without'} gradients): forward leaves only its outputs`);
        before = liveTensorCount();
        const features = net.encode(x);
        assert.equal(liveTensorCount() - before, features.length, `${what}: encode leaves only the features`);
      };
      if (grad) run(); else noGrad(run);
    });
  }
}

test('a forward pass leaves alive exactly what it returns: PSP-Seg (deep supervision, decoder features, empty PRMs) and PlainUNet', () => {
  const arch = pspArchitecture({ variant: 'S', channels: [4, 8, 16, 32], classes: 3 });
  const psp = buildNetwork(arch) as PSPSegNet;
  leavesOnlyItsOutputs(psp, 'PSP-Seg');
  psp.returnDecoderFeatures = true;
  leavesOnlyItsOutputs(psp, 'PSP-Seg with decoder features');
  psp.returnDecoderFeatures = false;
  psp.deepSupervision = false;
  leavesOnlyItsOutputs(psp, 'PSP-Seg without deep supervision');
  // PRMs without active blocks return their input itself: the bottleneck's is the DownSample's output,
  // dec1's (RL's map) is the upsampled sum.
  for (const name of ['enc3', 'dec1']) for (const j of [0, 1, 2, 3]) new Map(psp.prms()).get(name)!.mask(j);
  leavesOnlyItsOutputs(psp, 'PSP-Seg with empty PRMs');
  psp.dispose();
  const plain = buildNetwork(plainIsotropic(3, { classes: 3 }));
  leavesOnlyItsOutputs(plain, 'PlainUNet');
  plain.dispose();
});
