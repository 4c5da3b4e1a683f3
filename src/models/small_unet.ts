/**
 * A small U-shaped network: three resolutions, additive skips, nearest upsampling. Enough context
 * to find the hippocampus in a few hundred CPU steps (the demo trains it); PSP-Seg's networks are
 * the real ones. Its forward returns the shared network output shape (logits list, encoder
 * features for TR, no region features) and `encode` runs the encoder alone.
 */
import type { NetworkOutput } from '../nn/index.js';
import { z } from 'zod';
import { F, Generator, type Tensor } from '../tensor/index.js';
import { Conv3d, InstanceNorm3d, LeakyReLU, Module, Sequential, childName } from '../nn/index.js';
import type { OnnxGraphBuilder } from '../util/onnx_graph.js';
import { onnxNearestTimesTwo } from './blocks/up_sample.js';

/** Structurally the network output of src/models/network.ts (logits [full res]; no deep supervision). */

const posInt = z.number().int().positive();
/** Its architecture.json: `{ kind: 'small-unet', inChannels, classes, widths }`. */
export const smallUNetArchitectureSchema = z.object({
  kind: z.literal('small-unet'),
  inChannels: posInt,
  classes: z.number().int().min(2),
  widths: z.tuple([posInt, posInt, posInt]),
}).strict();

export type SmallUNetArchitecture = z.infer<typeof smallUNetArchitectureSchema>;

/** conv -> instance norm -> leaky ReLU */
const convBlock = (cin: number, cout: number, g: Generator, stride = 1) =>
  new Sequential(new Conv3d(cin, cout, 3, { stride, generator: g }), new InstanceNorm3d(cout), new LeakyReLU(0.01));

export class SmallUNet extends Module<[Tensor], NetworkOutput> {
  /** Patch sizes must be multiples of this (two stride-2 stages). */
  static readonly patchMultiple = 4;
  private readonly enc0: Sequential;
  private readonly enc1: Sequential;
  private readonly enc2: Sequential;
  private readonly up2: Conv3d;
  private readonly dec1: Sequential;
  private readonly up1: Conv3d;
  private readonly dec0: Sequential;
  private readonly head: Conv3d;

  constructor(readonly inChannels: number, readonly classes: number, g: Generator = new Generator(0), readonly widths: [number, number, number] = [16, 32, 64]) {
    super();
    const [a, b, c] = widths;
    this.enc0 = this.registerModule('enc0', new Sequential(convBlock(inChannels, a, g), convBlock(a, a, g)));
    this.enc1 = this.registerModule('enc1', new Sequential(convBlock(a, b, g, 2), convBlock(b, b, g)));
    this.enc2 = this.registerModule('enc2', new Sequential(convBlock(b, c, g, 2), convBlock(c, c, g)));
    this.up2 = this.registerModule('up2', new Conv3d(c, b, 1, { generator: g }));
    this.dec1 = this.registerModule('dec1', convBlock(b, b, g));
    this.up1 = this.registerModule('up1', new Conv3d(b, a, 1, { generator: g }));
    this.dec0 = this.registerModule('dec0', convBlock(a, a, g));
    this.head = this.registerModule('head', new Conv3d(a, classes, 1, { generator: g }));
  }

  /** The encoder outputs: [enc0 (full res), enc1 (1/2), enc2 (1/4, the bottleneck)]. */
  encode(x: Tensor): Tensor[] {
    const s0 = this.enc0.forward(x);
    const s1 = this.enc1.forward(s0);
    return [s0, s1, this.enc2.forward(s1)];
  }

  forward(x: Tensor): NetworkOutput {
    const up = (m: Conv3d, t: Tensor) => m.forward(F.interpolate(t, { scaleFactor: 2, mode: 'nearest' }));
    const [s0, s1, bottom] = this.encode(x) as [Tensor, Tensor, Tensor];
    const d1 = this.dec1.forward(up(this.up2, bottom).add(s1));
    const logits = this.head.forward(this.dec0.forward(up(this.up1, d1).add(s0)));
    return { logits: [logits], encoderFeatures: [s0, s1, bottom], regionFeatures: null };
  }

  override exportOnnx(g: OnnxGraphBuilder, x: string, name = ''): string {
    const n = (child: string): string => childName(name, child);
    const s0 = this.enc0.exportOnnx(g, x, n('enc0'));
    const s1 = this.enc1.exportOnnx(g, s0, n('enc1'));
    const bottom = this.enc2.exportOnnx(g, s1, n('enc2'));
    // forward upsamples, then convolves 1x1x1; the same function the other way round, with 8x less work
    const up = (m: Conv3d, v: string, child: string) => onnxNearestTimesTwo(g, m.exportOnnx(g, v, n(child)), n(`${child}.resize`));
    const d1 = this.dec1.exportOnnx(g, g.node('Add', [up(this.up2, bottom, 'up2'), s1], {}, n('skip1')), n('dec1'));
    const d0 = this.dec0.exportOnnx(g, g.node('Add', [up(this.up1, d1, 'up1'), s0], {}, n('skip0')), n('dec0'));
    return this.head.exportOnnx(g, d0, n('head'));
  }

  architecture(): SmallUNetArchitecture {
    return { kind: 'small-unet', inChannels: this.inChannels, classes: this.classes, widths: [...this.widths] };
  }
}
