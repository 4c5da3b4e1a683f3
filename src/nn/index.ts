export { Module, type AnyModule } from './module.js';
export { chain, childName, onnxChain, type OnnxStep, type Step } from './chain.js';
export { Conv3d, ConvTranspose3d, InstanceNorm3d, LeakyReLU, Sequential, onnxLeakyRelu, type Conv3dOptions, type Triple } from './layers.js';
export { kaimingNormal_ } from './init.js';
export { saveWeights, loadWeights } from './weights.js';
export { type NetworkOutput, asFloat32, float32Output } from './network_output.js';
