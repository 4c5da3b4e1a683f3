/** pspseg's networks: building blocks, PSP-Seg and nnU-Net's PlainConvUNet, architectures as data. */
export { type LayoutRow, SegmentationNetwork } from './network.js';
export { type FeatureShape, type ShapedBlock, type Triple, featureBytes, formatShape } from './shapes.js';
export { PatchSizeError, checkPatchSize, isValidPatch, nearestValidSizes } from './patch_size.js';
export { ConvBlock } from './blocks/conv_block.js';
export { EfficientBlock } from './blocks/efficient_block.js';
export { ParallelRedundantModule } from './blocks/prm.js';
export { type BlockState, BLOCK_STATES } from './blocks/block_state.js';
export { DownSample } from './blocks/down_sample.js';
export { UpSample } from './blocks/up_sample.js';
export { ConvNormAct, StackedConvBlocks } from './blocks/conv_norm_act.js';
export { ModuleList } from './blocks/module_list.js';
export { BRANCH_KERNELS, PSP_VARIANTS, PSP_VARIANT_NAMES, type PspVariant, type BranchCount, isBranchCount } from './psp_variants.js';
export {
  type Architecture, type PspArchitecture, type PlainArchitecture, type PspOptions, ArchitectureError, architectureSchema,
  pspArchitecture, pspPrmNames, validateArchitecture, ARCHITECTURE_FORMAT, ARCHITECTURE_VERSION,
} from './architecture.js';
export { ARCHITECTURE_FILE, ArchitectureFileError, loadArchitecture, saveArchitecture } from './architecture_file.js';
export { PSPSegNet } from './psp_seg_net.js';
export { PlainUNet } from './plain_unet.js';
export { type PlainTopology, type PlainOptions, plainTopology, plainArchitecture, plainArchitectureFromPlan, plainIsotropic } from './plain_topology.js';
export { buildNetwork } from './build.js';
export { ALLOCATOR_FACTORS, allocatorFactor, type StepMemory, type StepMemoryOptions, trainingStepMemory } from './step_memory.js';
export { SmallUNet, type SmallUNetArchitecture, smallUNetArchitectureSchema } from './small_unet.js';
export { type NetworkDescription, type DescribedNetwork, validateDescription, networkFromDescription, parameterCounts } from './from_description.js';
