/** Our libtorch network as a window forward (window_forward.ts): no gradients, each batch's tensors freed at once. */
import { type Device, type Precision, autocast, inferenceMode, tensor, tidy } from '../tensor/index.js';
import { SegmentationNetwork } from '../models/network.js';
import { asFloat32 } from '../nn/index.js';
import type { InferenceNetwork, LoadedModel } from './model_folder.js';
import type { PredictionModel } from './predict.js';
import type { WindowBatchDims, WindowForward } from './window_forward.js';

export function libtorchWindowForward(network: InferenceNetwork, device: Device = 'cpu', precision: Precision = 'fp32'): WindowForward {
  network.eval();
  return {
    name: `libtorch ${device}${precision === 'fp32' ? '' : ` ${precision}`}`,
    run: async (input: Float32Array, dims: WindowBatchDims) => inferenceMode(() => tidy(() => {
      const x = tensor(input, [...dims]);
      const logits = autocast(precision, device, () => network.forward(device === 'cpu' ? x : x.toDevice(device)).logits[0]);
      const out = logits && asFloat32(logits);
      if (!out) throw new Error('the network returned no logits');
      const spatial = out.shape.slice(2).join('x'), want = dims.slice(2).join('x');
      if (out.shape[0] !== dims[0] || spatial !== want) throw new Error(`the network returned logits [${out.shape}] for windows [${dims}]`);
      return (device === 'cpu' ? out : out.toDevice('cpu')).contiguous().toTypedArray<'float32'>();
    })),
  };
}

/** A loaded fold folder as prediction sees it (predict.ts), its network on `device`. */
export function libtorchPredictionModel(model: LoadedModel, device: Device = 'cpu', precision: Precision = 'fp32'): PredictionModel {
  const net = model.network;
  return {
    source: model.dir, checkpoint: model.checkpoint.name, forward: libtorchWindowForward(net, device, precision), device, plan: model.plan,
    patchSize: model.patchSize, numClasses: model.numClasses, inChannels: model.inChannels, mirrorAxes: model.mirrorAxes,
    // no backward: about half a training step's activations
    windowBytes: (windows) => (net instanceof SegmentationNetwork ? net.activationBytes(model.patchSize, windows) / 2 : 0),
  };
}
