/**
 * What every segmentation network of pspseg offers the trainer, the losses and the planner: one
 * forward pass returning everything the losses need, a gradient-free encoder pass for TR, its
 * architecture as data, and a layout (shapes, parameters, activation memory) for a patch size.
 */
import { type Tensor } from '../tensor/index.js';
import { type AnyModule, Module, type NetworkOutput } from '../nn/index.js';
import type { Architecture } from './architecture.js';
import { checkPatchSize } from './patch_size.js';
import { type FeatureShape, type ShapedBlock, type Triple, featureBytes, formatShape } from './shapes.js';


/** One module of a network's layout, in execution order. */
export interface LayoutRow {
  /** Dotted module name (the prefix of its parameter names). */
  name: string;
  type: string;
  /** Nesting depth for display (0 = a direct part of the network). */
  depth: number;
  /** Output shape including the batch: [N, C, D, H, W]. */
  output: [number, number, number, number, number];
  params: number;
  /** Estimated bytes of activations kept for backward (0 for rows whose parent counts them). */
  activationBytes: number;
  /** e.g. a PRM block's state. */
  note?: string;
  /**
   * Why the step holds this output beyond its own consumers: 'encoder' for an encoder stage's output
   * (the skips, and TR's features of the image and of the masked copy), 'logits' for an output the loss
   * reads (a deep-supervision head only while deep supervision is on). See step_memory.ts.
   */
  role?: 'encoder' | 'logits';
}

export abstract class SegmentationNetwork extends Module<[Tensor], NetworkOutput> {
  abstract readonly inChannels: number;
  abstract readonly classes: number;
  /**
   * Whether forward computes the deep-supervision logits (when the network has heads for them).
   * Starts as the architecture says; inference turns it off to get the full-resolution logits only.
   */
  deepSupervision = true;
  /** A short name for messages, e.g. "PSP-Seg S" or "PlainUNet (4 stages)". */
  abstract readonly displayName: string;
  /** The product of the strides per axis: every patch side must be a multiple of it. */
  abstract totalStride(): Triple;
  /** Encoder only (same list as `encoderFeatures`); TR runs it under noGrad on the masked input. */
  abstract encode(x: Tensor): Tensor[];
  /** The architecture as data, including the current state of every PRM block. */
  abstract architecture(): Architecture;
  /** The modules with their output shapes, parameters and activation estimates for a patch and batch. */
  protected abstract layoutRows(patch: Triple, batch: number): LayoutRow[];

  /** Throws a PatchSizeError naming the nearest valid sizes when the patch does not fit. */
  checkPatch(patch: readonly number[]): void {
    checkPatchSize(patch, this.totalStride(), this.displayName);
  }

  layout(patch: readonly number[], batch = 1): LayoutRow[] {
    this.checkPatch(patch);
    return this.layoutRows(patch as Triple, batch);
  }

  /**
   * Bytes of activations autograd keeps during a training step's forward pass (the input batch
   * included): the sum over the layout. Exact for the blocks of this folder (bench/tools/live_heap_peak.c
   * counts the same bytes after a forward pass). A whole step needs more: see trainingStepMemory
   * (step_memory.ts) for the masked pass, the loss, the backward pass, the parameters and the allocator.
   *
   * Each block counts its own by hand (ShapedBlock.activationBytes). A measured pass would do as well:
   * one forward at the total stride, the storages each module made that are still alive after it, times
   * the patch's voxels over the stride's, matched these counts to the byte on every row for S, B, L, a
   * pruned S and PlainUNet (a prototype); but telling which storages autograd keeps needs a weak
   * reference to a tensor's storage, which the addon does not have.
   */
  activationBytes(patch: readonly number[], batch: number): number {
    const input = featureBytes([this.inChannels, ...(patch as Triple)], batch);
    return this.layout(patch, batch).reduce((n, r) => n + r.activationBytes, input);
  }

  /** Checks an input batch [N, inChannels, D, H, W] before running. */
  protected checkInput(x: Tensor): void {
    const s = x.shape;
    if (s.length !== 5) throw new Error(`${this.displayName}: input must be [N, C, D, H, W], got ${formatShape(s)}`);
    if (s[1] !== this.inChannels) throw new Error(`${this.displayName}: input has ${s[1]} channels, the network takes ${this.inChannels}`);
    this.checkPatch(s.slice(2));
  }
}

/** A layout row for a block (or a plain conv seen as one) given its input shape. */
export function blockRow(name: string, module: AnyModule, block: ShapedBlock, input: FeatureShape, batch: number, depth = 0,
  note?: string): { row: LayoutRow; output: FeatureShape } {
  const output = block.outputShape(input);
  return {
    row: { name, type: module.constructor.name, depth, output: [batch, ...output], params: module.numParameters(), activationBytes: block.activationBytes(input, batch), note },
    output,
  };
}
