/**
 * A network from the JSON description a trained model folder keeps (architecture.json, as the
 * trainer's registry writes it): PSP-Seg and PlainUNet in the Architecture format (architecture.ts,
 * pruned or not), the demo's small U-Net as `{ kind: 'small-unet', ... }`. Inference and evaluation
 * rebuild networks through here; the weights are loaded afterwards.
 */
import { Generator } from '../tensor/index.js';
import { type Architecture, ArchitectureError, validateArchitecture } from './architecture.js';
import { buildNetwork } from './build.js';
import type { SegmentationNetwork } from './network.js';
import { PSPSegNet } from './psp_seg_net.js';
import { SmallUNet, type SmallUNetArchitecture, smallUNetArchitectureSchema } from './small_unet.js';

export type NetworkDescription = Architecture | SmallUNetArchitecture;
export type DescribedNetwork = SegmentationNetwork | SmallUNet;

const KINDS = ['psp', 'plain', 'small-unet'];

/** Checks a description; errors start with `source` and name the bad fields. */
export function validateDescription(raw: unknown, source = 'architecture'): NetworkDescription {
  const kind = raw !== null && typeof raw === 'object' ? (raw as { kind?: unknown }).kind : undefined;
  if (typeof kind !== 'string' || !KINDS.includes(kind))
    throw new ArchitectureError(`${source}: not a network description (kind ${JSON.stringify(kind)}; expected one of ${KINDS.join(', ')})`);
  if (kind !== 'small-unet') return validateArchitecture(raw, source);
  const r = smallUNetArchitectureSchema.safeParse(raw);
  if (!r.success) throw new ArchitectureError(`${source}: invalid small U-Net architecture: ${r.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** The network a description names, with fresh weights (deep-supervision heads included when it has them). */
export function networkFromDescription(raw: unknown, source = 'architecture'): DescribedNetwork {
  const d = validateDescription(raw, source);
  return d.kind === 'small-unet' ? new SmallUNet(d.inChannels, d.classes, new Generator(0), d.widths) : buildNetwork(d);
}

/**
 * Parameters the network holds (`total`) and those its forward uses (`active`: masked PRM blocks
 * keep their parameters but are skipped; deleted ones are gone from both).
 */
export function parameterCounts(net: DescribedNetwork): { total: number; active: number } {
  const total = net.numParameters();
  let masked = 0;
  if (net instanceof PSPSegNet)
    for (const [, prm] of net.prms()) for (const j of prm.indicesIn('masked')) masked += prm.block(j)?.numParameters() ?? 0;
  return { total, active: total - masked };
}
