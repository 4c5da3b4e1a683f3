/**
 * PSP-Seg's U-shaped network (docs/method.md, "U shape": the paper's Fig. 2), built from its architecture data.
 *
 * Encoder stage i = 0..S-1 (the last one is the bottleneck): at stage 0 the stem (conv 1x1x1) and a
 * ConvBlock, at stage i >= 1 a DownSample and a PRM. Decoder stage i = S-2..0 (the deepest runs first), at
 * encoder stage i's resolution: an UpSample of the stage below (of the bottleneck for the deepest), plus
 * encoder stage i's output (the additive skip), then a PRM (the ConvBlock at stage 0); and its head: a
 * conv 1x1x1 to the classes, at stage 0 always, at every PRM stage with deep supervision.
 *
 * Parameter names are those of the PyTorch reference (scripts/torch_pspseg.py), so checkpoints load by
 * name: encoder stage 0 `stem`, `enc0`; stage i `down{i}`, `enc{i}`; decoder stage i `up{i+1}`, `dec{i}`,
 * and `head` at stage 0, `head{i}` above.
 */
import { type Generator, type Tensor, tidy } from '../tensor/index.js';
import { type AnyModule, Conv3d, chain, childName } from '../nn/index.js';
import type { OnnxGraphBuilder } from '../util/onnx_graph.js';
import { type PspArchitecture, validateArchitecture } from './architecture.js';
import { ConvBlock } from './blocks/conv_block.js';
import { DownSample } from './blocks/down_sample.js';
import { ParallelRedundantModule } from './blocks/prm.js';
import { UpSample } from './blocks/up_sample.js';
import type { NetworkOutput } from '../nn/index.js';
import { type LayoutRow, SegmentationNetwork, blockRow } from './network.js';
import { type FeatureShape, type ShapedBlock, type Triple, shapedConv } from './shapes.js';

export interface EncoderStage {
  readonly index: number;
  /** The stem at stage 0, else the DownSample from stage i-1. */
  readonly entry: Conv3d | DownSample;
  /** The ConvBlock at stage 0, else a PRM. */
  readonly block: ConvBlock | ParallelRedundantModule;
}

export interface DecoderStage {
  readonly index: number;
  /** From the stage below (the bottleneck for the deepest) to stage i's resolution and channels. */
  readonly up: UpSample;
  /** The ConvBlock at stage 0, else a PRM. */
  readonly block: ConvBlock | ParallelRedundantModule;
  /** Its segmentation head: at stage 0 always, at the others when the architecture has deep supervision. */
  readonly head: Conv3d | null;
}

export class PSPSegNet extends SegmentationNetwork {
  readonly inChannels: number;
  readonly classes: number;
  readonly displayName: string;
  readonly stages: number;
  /** Stage 0 (full resolution) to the bottleneck. */
  readonly encoder: readonly EncoderStage[];
  /** Stage 0 (full resolution) to stage S-2; forward runs them from the deepest. */
  readonly decoder: readonly DecoderStage[];
  /**
   * Also return every decoder stage's output (stage 0 first) as `decoderFeatures`: the RL loss' per-stage
   * maps in the paper's variant. They are kept for backward anyway (the next upsampling conv and the
   * heads read them), so this costs no memory in training.
   */
  returnDecoderFeatures = false;

  constructor(readonly arch: PspArchitecture, o: { generator?: Generator } = {}) {
    super();
    validateArchitecture(arch);
    const C = arch.channels, S = C.length, g = o.generator;
    const block = { normAffine: arch.normAffine, generator: g };
    const prm = (name: string, c: number) =>
      this.registerModule(name, new ParallelRedundantModule(c, arch.kernels, arch.ratio, { ...block, states: arch.blocks[name], name }));
    const head = (name: string, c: number) => this.registerModule(name, new Conv3d(c, arch.classes, 1, { generator: g }));
    this.inChannels = arch.inChannels;
    this.classes = arch.classes;
    this.stages = S;
    this.displayName = `PSP-Seg ${arch.variant ?? `(${S} stages)`}`;
    this.deepSupervision = arch.deepSupervision;

    // Registered in the reference's order, which is the parameter order and, with a generator, the
    // order of initialisation: the encoder, the decoder from its deepest stage, then the heads from
    // full resolution down. (Object literals evaluate their fields in order.)
    this.encoder = C.map((c, i): EncoderStage => (i === 0
      ? { index: 0, entry: this.registerModule('stem', new Conv3d(arch.inChannels, c, 1, { generator: g })), block: this.registerModule('enc0', new ConvBlock(c, block)) }
      : { index: i, entry: this.registerModule(`down${i}`, new DownSample(C[i - 1]!, c, block)), block: prm(`enc${i}`, c) }));
    const decoder: Omit<DecoderStage, 'head'>[] = [];
    for (let i = S - 2; i >= 0; i--) {
      decoder[i] = {
        index: i,
        up: this.registerModule(`up${i + 1}`, new UpSample(C[i + 1]!, C[i]!, { generator: g })),
        block: i === 0 ? this.registerModule('dec0', new ConvBlock(C[0]!, block)) : prm(`dec${i}`, C[i]!),
      };
    }
    this.decoder = decoder.map((s, i): DecoderStage =>
      ({ ...s, head: i === 0 ? head('head', C[0]!) : arch.deepSupervision ? head(`head${i}`, C[i]!) : null }));
  }

  totalStride(): Triple {
    const s = 2 ** (this.stages - 1);
    return [s, s, s];
  }

  /** The PRMs in network order, the encoder's then the decoder's from the deepest (pruning's order). */
  prunableModules(): ParallelRedundantModule[] {
    const prms = (stages: readonly (EncoderStage | DecoderStage)[]) =>
      stages.flatMap((s) => (s.block instanceof ParallelRedundantModule ? [s.block] : []));
    return [...prms(this.encoder), ...prms([...this.decoder].reverse())];
  }

  /** The PRMs by name (enc1.., dec..1), in network order. */
  prms(): [string, ParallelRedundantModule][] {
    return this.prunableModules().map((m) => [m.name, m]);
  }

  /** The encoder stages' outputs, stage 0 to the bottleneck: the skips, and TR's features. */
  encode(x: Tensor): Tensor[] {
    this.checkInput(x);
    const features: Tensor[] = [];
    for (const stage of this.encoder) features.push(chain(features.at(-1) ?? x, stage.entry, stage.block));
    return features;
  }

  forward(x: Tensor): NetworkOutput {
    // In a scope of its own, which frees the top decoder stage's output unless it is returned.
    return tidy(() => {
      const features = this.encode(x);
      const { logits, outputs } = this.decode(0, features);
      const out: NetworkOutput = { logits, encoderFeatures: features, regionFeatures: outputs[1] ?? null };
      if (this.returnDecoderFeatures) out.decoderFeatures = outputs;
      return out;
    });
  }

  /**
   * Decoder stage i on top of the stages below it, which run inside its scope: the output of stage i+1
   * is freed when stage i returns, unless it is returned too (at the top stage it is RL's map, kept
   * anyway, so this holds nothing at the forward's peak). Returns stage i's output, the logits of stages
   * i.. (full resolution first) and, by stage, the outputs the loss reads: RL's (stage 1), or every
   * stage's with returnDecoderFeatures.
   */
  private decode(i: number, features: Tensor[]): { output: Tensor; logits: Tensor[]; outputs: Tensor[] } {
    return tidy(() => {
      const stage = this.decoder[i]!;
      const below = i + 1 < this.decoder.length ? this.decode(i + 1, features) : { output: features.at(-1)!, logits: [], outputs: [] };
      // The skip is added in place: the upsampling saves nothing for backward.
      const output = chain(below.output, stage.up, (u) => u.add_(features[i]!), stage.block);
      const logits = stage.head && (i === 0 || this.deepSupervision) ? [stage.head.forward(output), ...below.logits] : below.logits;
      const outputs = below.outputs;
      if (i === 1 || this.returnDecoderFeatures) outputs[i] = output;
      return { output, logits, outputs };
    });
  }

  /** The full-resolution logits (no deep supervision), as forward computes them in inference. */
  override exportOnnx(g: OnnxGraphBuilder, x: string, name = ''): string {
    const names = new Map(this.namedChildren().map(([n, m]) => [m, childName(name, n)]));
    const run = (m: AnyModule, v: string): string => m.exportOnnx(g, v, names.get(m)!);
    const features: string[] = [];
    for (const stage of this.encoder) features.push(run(stage.block, run(stage.entry, features.at(-1) ?? x)));
    let below = features.at(-1)!;
    for (const stage of [...this.decoder].reverse()) {
      const joined = g.node('Add', [run(stage.up, below), features[stage.index]!], {}, `${childName(name, `skip${stage.index}`)}`);
      below = run(stage.block, joined);
    }
    return run(this.decoder[0]!.head!, below);
  }

  architecture(): PspArchitecture {
    return { ...this.arch, blocks: Object.fromEntries(this.prms().map(([n, m]) => [n, [...m.states]])) };
  }

  /** The stages' modules in the order they run, the heads last (the order of the logits). */
  protected layoutRows(patch: Triple, batch: number): LayoutRow[] {
    const names = new Map(this.namedChildren().map(([name, m]) => [m, name]));
    const rows: LayoutRow[] = [];
    /** Adds the module's row (and a PRM's block rows) for an input shape; returns its output shape. */
    const add = (m: Conv3d | (AnyModule & ShapedBlock), input: FeatureShape, use?: LayoutRow['role'] | 'unused'): FeatureShape => {
      const name = names.get(m)!;
      const identity = m instanceof ParallelRedundantModule && m.numActive === 0;
      const { row, output } = blockRow(name, m, m instanceof Conv3d ? shapedConv(m) : m, input, batch, 0, identity ? 'identity (no active block)' : undefined);
      rows.push(use === 'unused' ? { ...row, activationBytes: 0, note: 'deep supervision off' } : use ? { ...row, role: use } : row);
      if (m instanceof ParallelRedundantModule) rows.push(...blockRows(m, name, input));
      return output;
    };
    /** A PRM's blocks but the deleted ones; the PRM's row counts their activations. */
    const blockRows = (prm: ParallelRedundantModule, name: string, input: FeatureShape): LayoutRow[] =>
      prm.blocks().flatMap(({ index, kernel, state }) => {
        const b = prm.block(index);
        return b ? [{ ...blockRow(`${name}.b${index}`, b, b, input, batch, 1).row, activationBytes: 0, note: `kernel ${kernel.join('x')}, ${state}` }] : [];
      });
    let s: FeatureShape = [this.inChannels, ...patch];
    for (const stage of this.encoder) s = add(stage.block, add(stage.entry, s), 'encoder');
    const outputs: FeatureShape[] = [];
    for (const stage of [...this.decoder].reverse()) s = outputs[stage.index] = add(stage.block, add(stage.up, s));
    for (const stage of this.decoder)
      if (stage.head) add(stage.head, outputs[stage.index]!, stage.index === 0 || this.deepSupervision ? 'logits' : 'unused');
    return rows;
  }
}
