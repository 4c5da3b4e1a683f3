/**
 * PSP-Seg's U-shaped network (method.md section 1), built from its architecture data.
 *
 * Encoder: stem (conv 1x1x1) -> enc0 ConvBlock -> [down{i} -> enc{i} PRM] for i = 1..S-1 (enc{S-1} is
 * the bottleneck). Decoder: for i = S-1..1: up{i}, add the skip enc{i-1}, then dec{i-1} (a PRM, or
 * the ConvBlock dec0); `head` on dec0; with deep supervision `head{i}` on every PRM decoder stage
 * dec{i} (i = 1..S-2: 1..3 for S and B, 1..4 for L). Parameter names are those of the brief, so a
 * PyTorch reference loads our safetensors.
 */
import { type Generator, type Tensor } from '../tensor/index.js';
import { Conv3d } from '../nn/index.js';
import { type PspArchitecture, pspPrmNames, validateArchitecture } from './architecture.js';
import { ConvBlock } from './blocks/conv_block.js';
import { DownSample } from './blocks/down_sample.js';
import { ParallelRedundantModule } from './blocks/prm.js';
import { UpSample } from './blocks/up_sample.js';
import type { NetworkOutput } from '../nn/index.js';
import { type LayoutRow, SegmentationNetwork, blockRow } from './network.js';
import { type FeatureShape, type Triple, shapedConv } from './shapes.js';

export class PSPSegNet extends SegmentationNetwork {
  readonly inChannels: number;
  readonly classes: number;
  readonly displayName: string;
  readonly stages: number;
  readonly stem: Conv3d;
  readonly enc0: ConvBlock;
  readonly dec0: ConvBlock;
  readonly head: Conv3d;
  private readonly downs: DownSample[] = [];     // downs[i] = down{i}, i >= 1
  private readonly encs: ParallelRedundantModule[] = []; // encs[i] = enc{i}, i >= 1
  private readonly ups: UpSample[] = [];         // ups[i] = up{i}, i >= 1
  private readonly decs: ParallelRedundantModule[] = []; // decs[i] = dec{i}, 1 <= i <= S-2
  private readonly heads: Conv3d[] = [];         // heads[i] = head{i}, 1 <= i <= S-2 (deep supervision)
  /**
   * Also return every decoder stage's output (dec0..dec{S-2}, full resolution first) as
   * `decoderFeatures`: the RL loss' per-stage maps in the paper's variant. They are kept for
   * backward anyway (the next upsampling conv and the heads read them), so this costs no memory in
   * training.
   */
  returnDecoderFeatures = false;

  constructor(readonly arch: PspArchitecture, o: { generator?: Generator } = {}) {
    super();
    validateArchitecture(arch);
    const C = arch.channels, S = C.length, g = o.generator;
    const block = { normAffine: arch.normAffine, generator: g };
    const prm = (name: string, c: number) =>
      new ParallelRedundantModule(c, arch.kernels, arch.ratio, { ...block, states: arch.blocks[name], name });
    this.inChannels = arch.inChannels;
    this.classes = arch.classes;
    this.stages = S;
    this.displayName = `PSP-Seg ${arch.variant ?? `(${S} stages)`}`;
    this.deepSupervision = arch.deepSupervision;

    // Registered in execution order (names, init order with a generator, parameter order).
    this.stem = this.registerModule('stem', new Conv3d(arch.inChannels, C[0]!, 1, { generator: g }));
    this.enc0 = this.registerModule('enc0', new ConvBlock(C[0]!, block));
    for (let i = 1; i < S; i++) {
      this.downs[i] = this.registerModule(`down${i}`, new DownSample(C[i - 1]!, C[i]!, block));
      this.encs[i] = this.registerModule(`enc${i}`, prm(`enc${i}`, C[i]!));
    }
    let dec0: ConvBlock | undefined;
    for (let i = S - 1; i >= 1; i--) {
      this.ups[i] = this.registerModule(`up${i}`, new UpSample(C[i]!, C[i - 1]!, { generator: g }));
      if (i - 1 >= 1) this.decs[i - 1] = this.registerModule(`dec${i - 1}`, prm(`dec${i - 1}`, C[i - 1]!));
      else dec0 = this.registerModule('dec0', new ConvBlock(C[0]!, block));
    }
    this.dec0 = dec0!;
    this.head = this.registerModule('head', new Conv3d(C[0]!, arch.classes, 1, { generator: g }));
    if (arch.deepSupervision)
      for (let i = 1; i <= S - 2; i++) this.heads[i] = this.registerModule(`head${i}`, new Conv3d(C[i]!, arch.classes, 1, { generator: g }));
  }

  totalStride(): Triple {
    const s = 2 ** (this.stages - 1);
    return [s, s, s];
  }

  /** The PRMs by name (enc1.., dec..1), for pruning. */
  prms(): [string, ParallelRedundantModule][] {
    return pspPrmNames(this.stages).map((n) => [n, n.startsWith('enc') ? this.encs[Number(n.slice(3))]! : this.decs[Number(n.slice(3))]!]);
  }

  /** The PRMs in network order (what src/pruning's PrunableNetwork asks for; each one is named). */
  prunableModules(): ParallelRedundantModule[] {
    return this.prms().map(([, m]) => m);
  }

  encode(x: Tensor): Tensor[] {
    this.checkInput(x);
    const s = this.stem.forward(x);
    const features = [this.enc0.forward(s)];
    s.dispose();
    for (let i = 1; i < this.stages; i++) {
      const d = this.downs[i]!.forward(features[i - 1]!);
      const e = this.encs[i]!.forward(d);
      if (e !== d) d.dispose(); // a PRM without active blocks returns its input itself
      features.push(e);
    }
    return features;
  }

  forward(x: Tensor): NetworkOutput {
    const features = this.encode(x);
    const deep: Tensor[] = []; // deep-supervision logits, lowest resolution first
    const decoded: Tensor[] = []; // decoder stage outputs, lowest resolution first (returnDecoderFeatures)
    const keep = this.returnDecoderFeatures;
    let region: Tensor | null = null;
    let y = features[this.stages - 1]!;
    for (let i = this.stages - 1; i >= 1; i--) {
      const u = this.ups[i]!.forward(y);
      if (!features.includes(y) && y !== region && !keep) y.dispose();
      u.add_(features[i - 1]!); // additive skip, in place (upsampling saves nothing for backward)
      const level = i - 1;
      const d = level === 0 ? this.dec0.forward(u) : this.decs[level]!.forward(u);
      if (d !== u) u.dispose();
      if (level >= 1 && this.deepSupervision && this.heads[level]) deep.push(this.heads[level]!.forward(d));
      if (level === 1) region = d;
      if (keep) decoded.push(d);
      y = d;
    }
    const full = this.head.forward(y);
    if (y !== region && !keep) y.dispose();
    const out: NetworkOutput = { logits: [full, ...deep.reverse()], encoderFeatures: features, regionFeatures: region };
    if (keep) out.decoderFeatures = decoded.reverse();
    return out;
  }

  architecture(): PspArchitecture {
    return { ...this.arch, blocks: Object.fromEntries(this.prms().map(([n, m]) => [n, [...m.states]])) };
  }

  protected layoutRows(patch: Triple, batch: number): LayoutRow[] {
    const rows: LayoutRow[] = [];
    const add = (r: { row: LayoutRow; output: FeatureShape }, role?: LayoutRow['role']): FeatureShape => {
      rows.push(role ? { ...r.row, role } : r.row);
      return r.output;
    };
    const addPrm = (name: string, m: ParallelRedundantModule, input: FeatureShape, role?: 'encoder'): FeatureShape => {
      const out = add(blockRow(name, m, m, input, batch, 0, m.numActive === 0 ? 'identity (no active block)' : undefined), role);
      for (const j of m.kernels.keys()) {
        const b = m.block(j);
        if (b) rows.push({ ...blockRow(`${name}.b${j}`, b, b, input, batch, 1).row, activationBytes: 0, note: `kernel ${m.kernels[j]!.join('x')}, ${m.state(j)}` });
      }
      return out;
    };
    const deep: LayoutRow[] = [];
    let s = add(blockRow('stem', this.stem, shapedConv(this.stem), [this.inChannels, ...patch], batch));
    s = add(blockRow('enc0', this.enc0, this.enc0, s, batch), 'encoder');
    for (let i = 1; i < this.stages; i++) {
      s = add(blockRow(`down${i}`, this.downs[i]!, this.downs[i]!, s, batch));
      s = addPrm(`enc${i}`, this.encs[i]!, s, 'encoder');
    }
    for (let i = this.stages - 1; i >= 1; i--) {
      s = add(blockRow(`up${i}`, this.ups[i]!, this.ups[i]!, s, batch));
      if (i - 1 === 0) s = add(blockRow('dec0', this.dec0, this.dec0, s, batch));
      else {
        s = addPrm(`dec${i - 1}`, this.decs[i - 1]!, s);
        const h = this.heads[i - 1];
        if (h) {
          const r = blockRow(`head${i - 1}`, h, shapedConv(h), s, batch).row;
          deep.unshift(this.deepSupervision ? { ...r, role: 'logits' } : { ...r, activationBytes: 0, note: 'deep supervision off' });
        }
      }
    }
    add(blockRow('head', this.head, shapedConv(this.head), s, batch), 'logits');
    return [...rows, ...deep]; // heads in the order the logits come back
  }
}
