/**
 * nnU-Net's PlainConvUNet (dynamic-network-architectures), the baseline: per stage two conv-IN-LReLU
 * (the first strided: downsampling by strided conv), transposed-conv upsampling, concatenated skips,
 * and a 1x1x1 segmentation layer on every decoder stage (built always, as nnU-Net does, so weights load
 * with or without deep supervision; the count includes them).
 *
 * Parameter names are nnU-Net's, minus its duplicate aliases (`all_modules`, `decoder.encoder`):
 * `encoder.stages.{s}.0.convs.{j}.conv|norm`, `decoder.transpconvs.{k}`, `decoder.stages.{k}.convs.{j}.conv|norm`,
 * `decoder.seg_layers.{k}`, k = 0 at the lowest resolution. An nnU-Net checkpoint's tensors thus load by name.
 */
import { type Generator, type Tensor, cat, tidy } from '../tensor/index.js';
import { Conv3d, ConvTranspose3d, Module, Sequential, chain, childName } from '../nn/index.js';
import type { OnnxGraphBuilder } from '../util/onnx_graph.js';
import { type PlainArchitecture, validateArchitecture } from './architecture.js';
import { StackedConvBlocks } from './blocks/conv_norm_act.js';
import { ModuleList } from './blocks/module_list.js';
import type { NetworkOutput } from '../nn/index.js';
import { type LayoutRow, SegmentationNetwork, blockRow } from './network.js';
import { type FeatureShape, type Triple, featureBytes, shapedConv, withChannels } from './shapes.js';

class PlainEncoder extends Module<[Tensor], Tensor[]> {
  readonly stages: ModuleList<Sequential>;
  readonly blocks: StackedConvBlocks[];

  constructor(a: PlainArchitecture, g?: Generator) {
    super();
    this.blocks = a.channels.map((c, s) => new StackedConvBlocks(a.convsPerStage, s === 0 ? a.inChannels : a.channels[s - 1]!, c,
      a.kernels[s] as Triple, a.strides[s] as Triple, { normAffine: a.normAffine, generator: g }));
    this.stages = this.registerModule('stages', new ModuleList(this.blocks.map((b) => new Sequential(b))));
  }

  /** Every stage's output, stage 0 to the bottleneck. */
  forward(x: Tensor): Tensor[] {
    const out: Tensor[] = [];
    for (const b of this.blocks) out.push(b.forward(out.at(-1) ?? x));
    return out;
  }
}

class PlainDecoder extends Module<[Tensor[]], { logits: Tensor[]; region: Tensor | null }> {
  readonly transpconvs: ModuleList<ConvTranspose3d>;
  readonly stages: ModuleList<StackedConvBlocks>;
  readonly seg_layers: ModuleList<Conv3d>;

  constructor(a: PlainArchitecture, g?: Generator) {
    super();
    const n = a.channels.length, t: ConvTranspose3d[] = [], st: StackedConvBlocks[] = [], seg: Conv3d[] = [];
    for (let k = 0; k < n - 1; k++) {
      const below = a.channels[n - 1 - k]!, skip = a.channels[n - 2 - k]!, stride = a.strides[n - 1 - k] as Triple;
      t.push(new ConvTranspose3d(below, skip, stride, { stride, generator: g }));
      st.push(new StackedConvBlocks(a.convsPerStage, 2 * skip, skip, a.kernels[n - 2 - k] as Triple, [1, 1, 1], { normAffine: a.normAffine, generator: g }));
      seg.push(new Conv3d(skip, a.classes, 1, { generator: g }));
    }
    // Registration order as nnU-Net's decoder: stages, transpconvs, seg_layers.
    this.stages = this.registerModule('stages', new ModuleList(st));
    this.transpconvs = this.registerModule('transpconvs', new ModuleList(t));
    this.seg_layers = this.registerModule('seg_layers', new ModuleList(seg));
  }

  /**
   * `skips`: the encoder outputs. Logits of every decoder stage with deep supervision (else the last
   * only), full resolution first; `region`: the output of the stage at 1/2 resolution (the one before
   * the last), PSP-Seg's dec1 counterpart.
   */
  run(skips: Tensor[], deepSupervision: boolean): { logits: Tensor[]; region: Tensor | null } {
    // In a scope of its own, which frees the top stage's output (the segmentation layer's input).
    return tidy(() => {
      const { logits, region } = this.upTo(this.stages.length - 1, skips, deepSupervision);
      return { logits: logits.reverse(), region };
    });
  }

  /**
   * Decoder stage k on top of stages 0..k-1, which run inside its scope: the output of stage k-1 is freed
   * when stage k returns, unless it is the region (returned). Logits lowest resolution first.
   */
  private upTo(k: number, skips: Tensor[], deepSupervision: boolean): { output: Tensor; logits: Tensor[]; region: Tensor | null } {
    return tidy(() => {
      const n = this.stages.length;
      const below = k > 0 ? this.upTo(k - 1, skips, deepSupervision) : { output: skips.at(-1)!, logits: [], region: null };
      const skip = skips[skips.length - 2 - k]!;
      const output = chain(below.output, this.transpconvs.at(k), (up) => cat([up, skip], 1), this.stages.at(k));
      const logits = deepSupervision || k === n - 1 ? [...below.logits, this.seg_layers.at(k).forward(output)] : below.logits;
      return { output, logits, region: k === n - 2 ? output : below.region };
    });
  }

  forward(skips: Tensor[]): { logits: Tensor[]; region: Tensor | null } { return this.run(skips, true); }
}

export class PlainUNet extends SegmentationNetwork {
  readonly inChannels: number;
  readonly classes: number;
  readonly displayName: string;
  readonly encoder: PlainEncoder;
  readonly decoder: PlainDecoder;

  constructor(readonly arch: PlainArchitecture, o: { generator?: Generator } = {}) {
    super();
    validateArchitecture(arch);
    this.inChannels = arch.inChannels;
    this.classes = arch.classes;
    this.displayName = `PlainUNet (${arch.channels.length} stages)`;
    this.deepSupervision = arch.deepSupervision;
    this.encoder = this.registerModule('encoder', new PlainEncoder(arch, o.generator));
    this.decoder = this.registerModule('decoder', new PlainDecoder(arch, o.generator));
  }

  totalStride(): Triple {
    return [0, 1, 2].map((a) => this.arch.strides.reduce((p, s) => p * s[a]!, 1)) as Triple;
  }

  encode(x: Tensor): Tensor[] {
    this.checkInput(x);
    return this.encoder.forward(x);
  }

  forward(x: Tensor): NetworkOutput {
    const skips = this.encode(x);
    const { logits, region } = this.decoder.run(skips, this.deepSupervision);
    return { logits, encoderFeatures: skips, regionFeatures: region };
  }

  /** The full-resolution logits: transposed-conv upsampling, concatenated skips, the last segmentation layer. */
  override exportOnnx(g: OnnxGraphBuilder, x: string, name = ''): string {
    const n = (child: string): string => childName(name, child);
    const skips: string[] = [];
    this.encoder.blocks.forEach((b, s) => skips.push(b.exportOnnx(g, skips.at(-1) ?? x, n(`encoder.stages.${s}.0`))));
    const d = this.decoder, stages = d.stages.length;
    let below = skips.at(-1)!;
    for (let k = 0; k < stages; k++) {
      const up = d.transpconvs.at(k).exportOnnx(g, below, n(`decoder.transpconvs.${k}`));
      const joined = g.node('Concat', [up, skips[skips.length - 2 - k]!], { axis: 1 }, n(`decoder.concat${k}`));
      below = d.stages.at(k).exportOnnx(g, joined, n(`decoder.stages.${k}`));
    }
    return d.seg_layers.at(stages - 1).exportOnnx(g, below, n(`decoder.seg_layers.${stages - 1}`));
  }

  architecture(): PlainArchitecture {
    return { ...this.arch };
  }

  protected layoutRows(patch: Triple, batch: number): LayoutRow[] {
    const rows: LayoutRow[] = [];
    const skips: FeatureShape[] = [];
    let s: FeatureShape = [this.inChannels, ...patch];
    this.encoder.blocks.forEach((b, i) => {
      const r = blockRow(`encoder.stages.${i}`, b, b, s, batch);
      rows.push({ ...r.row, role: 'encoder' });
      skips.push(s = r.output);
    });
    const d = this.decoder, n = d.stages.length;
    for (let k = 0; k < n; k++) {
      const t = d.transpconvs.at(k);
      const up: FeatureShape = [t.outChannels, s[1] * t.stride[0], s[2] * t.stride[1], s[3] * t.stride[2]];
      // The upsampled map lives only until the concatenation; the concatenation is what the next conv keeps.
      rows.push({ name: `decoder.transpconvs.${k}`, type: 'ConvTranspose3d', depth: 0, output: [batch, ...up], params: t.numParameters(), activationBytes: 0 });
      const joined = withChannels(up, 2 * up[0]);
      const st = d.stages.at(k);
      const r = blockRow(`decoder.stages.${k}`, st, st, joined, batch);
      rows.push({ ...r.row, activationBytes: r.row.activationBytes + featureBytes(joined, batch) });
      s = r.output;
      const seg = d.seg_layers.at(k), used = this.deepSupervision || k === n - 1;
      const row = blockRow(`decoder.seg_layers.${k}`, seg, shapedConv(seg), s, batch).row;
      rows.push(used ? { ...row, role: 'logits' } : { ...row, activationBytes: 0, note: 'deep supervision off' });
    }
    return rows;
  }
}
