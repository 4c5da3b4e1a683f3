/** Section "Dataset and plan": what the model learnt from, how the data were prepared, and the training settings. */
import { xyzOrder } from '../data/common/axes.js';
import type { Axes3 } from '../util/triple.js';
import type { FoldInputs } from './fold_inputs.js';
import { code, esc, facts, fmtInt, notice } from './html.js';

/**
 * A triple in the network's array order shown per image axis, "48 \u00d7 64 \u00d7 48 (x, y, z)", as every command
 * prints them; without the plan's axes, in the network's order, said so.
 */
const triple = (t: readonly number[], axes: Axes3 | undefined, digits?: number): string =>
  (axes ? xyzOrder(t, axes) : t).map((v) => (digits === undefined ? String(v) : String(+v.toFixed(digits)))).join(' \u00d7 ')
  + (axes ? ' (x, y, z)' : " (the network's axis order)");

function datasetPart(f: FoldInputs): string {
  const d = f.dataset;
  const c = f.config;
  if (!d && !c) return notice('Neither the dataset description nor the training configuration was found (see <a href="#files">input files</a>).');
  const json = d?.json ?? {};
  const str = (k: string) => (typeof json[k] === 'string' && json[k] ? esc(json[k] as string) : null);
  const labels = d ? d.labels.filter((l) => l.value > 0).map((l) => `${l.value}: ${esc(l.name)}`)
    : c!.dataset.labels.map((l) => `${l.value}: ${esc(l.name)}`);
  const rows: [string, string][] = [
    ['name', esc(d?.name ?? c!.dataset.name)],
    ...(str('description') ? [['description', str('description')!] as [string, string]] : []),
    ...(str('reference') ? [['source', str('reference')!] as [string, string]] : []),
    ...(str('licence') ?? str('license') ? [['licence', (str('licence') ?? str('license'))!] as [string, string]] : []),
    ['input channels', d ? d.channelNames.map(esc).join(', ') : String(c!.dataset.inChannels)],
    ['classes to segment', labels.join('; ')],
    ...(d ? [['cases with labels', fmtInt(d.cases.length)] as [string, string], ['folder', code(d.root)] as [string, string]] : []),
  ];
  return facts(rows);
}

function planPart(f: FoldInputs): string {
  const p = f.plan;
  if (!p) return notice(`The plan (plan.json, written by ${code('pspseg plan')}) was not found, so the preprocessing is not described here.`);
  const channels = p.channels.map((ch) => `${esc(ch.name)}: ${esc(ch.scheme)} normalisation${ch.useMask ? ' inside the body only' : ''}`);
  return `<p>Before training every case is cropped to its nonzero region, resampled to one voxel spacing and
normalised per channel (the nnU-Net recipe). Sizes are per image axis x, y, z, as the NIfTI files store them.</p>` + facts([
    ['voxel spacing', `${triple(p.targetSpacing, p.transposeForward, 3)} mm (median of the dataset: ${triple(p.medianSpacing, p.transposeForward, 3)} mm)`],
    ['median case size', `${triple(p.medianShape, p.transposeForward)} voxels after cropping and resampling`],
    ['normalisation', channels.join('; ')],
    ['patch and batch', `${triple(p.patchSize, p.transposeForward)} voxels, ${p.batchSize} patches per batch (planned)`],
    ['plan file', code(f.planFile ?? '')],
  ]);
}

function settingsPart(f: FoldInputs): string {
  const c = f.config;
  if (!c) return notice('The training configuration (config.json) was not found.');
  const net = c.network.arch === 'psp' ? `PSP-Seg ${c.network.variant ?? ''}` : c.network.arch === 'plain' ? "nnU-Net's plain U-Net" : 'small U-Net (demo)';
  const loss = c.loss.name === 'psp'
    ? `Dice + cross-entropy, + ${c.loss.lambdaTR} \u00d7 target representation + ${c.loss.lambdaRL} \u00d7 region localisation`
    : 'Dice + cross-entropy';
  const opt = c.optimizer;
  const optText = opt.name === 'sgd'
    ? `SGD, learning rate ${opt.lr} (poly decay), momentum ${opt.momentum}${opt.nesterov ? ' (Nesterov)' : ''}, weight decay ${opt.weightDecay}`
    : `AdamW, learning rate ${opt.lr} (poly decay), weight decay ${opt.weightDecay}`;
  return facts([
    ['network', `${esc(net)}${c.network.deepSupervision ? ', deep supervision' : ''}`],
    ['loss', esc(loss)],
    ['optimiser', esc(optText)],
    ['schedule', `${fmtInt(c.epochs)} epochs \u00d7 ${fmtInt(c.iterations)} batches of ${c.batchSize} patches of ${triple(c.patchSize, f.plan?.transposeForward)} voxels; ${c.valIterations} validation batches per epoch`],
    ['cross-validation', `fold ${c.fold}: ${fmtInt(c.trainCases.length)} training and ${fmtInt(c.valCases.length)} validation cases (split from ${code(c.splitSource)})`],
    ['seed, device, precision', `${c.seed}, ${esc(c.runtime.device)}, ${esc(c.runtime.precision)}`],
  ]);
}

export function datasetSection(f: FoldInputs): string {
  return [
    '<section id="dataset"><h2>Dataset and plan</h2>',
    '<h3>Dataset</h3>', datasetPart(f),
    '<h3>Preprocessing plan</h3>', planPart(f),
    '<h3>Training settings</h3>', settingsPart(f),
    '</section>',
  ].join('\n');
}
