/**
 * One case from decoded NIfTI volumes to its label map on the input's grid, with a deployed model
 * (deployed_model.ts) and any window forward: the plan's preprocessing, the sliding window with
 * Gaussian weighting and mirroring, and the export back. The pieces are those `pspseg predict` runs
 * (predict.ts overlaps reading and preprocessing with inference, in Node); this is their order for one
 * case in memory, as the browser app runs it.
 */
import type { Volume } from '../io/volume.js';
import { caseFromVolumes } from '../data/dataset/case_volumes.js';
import { preprocessCase } from '../data/preprocess/preprocess_case.js';
import type { DeployedModel } from './deployed_model.js';
import { labelVolume } from './export.js';
import { predictSlidingWindow } from './predict_logits.js';
import type { WindowForward } from './window_forward.js';

export interface SegmentInput {
  id: string;
  /** One volume per channel, or one 4D volume holding them all. */
  volumes: Volume[];
  /** The files' names, for errors. */
  names: string[];
}

export interface SegmentOptions {
  /** Mirroring test-time augmentation over the model's mirror axes (default true). */
  tta?: boolean;
  step?: number;
  windowsPerForward?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface SegmentResult {
  /** uint8 labels on the input's grid, with its header. */
  label: Volume;
  windows: number;
  seconds: number;
}

export async function segmentVolumes(input: SegmentInput, model: DeployedModel, forward: WindowForward, o: SegmentOptions = {}): Promise<SegmentResult> {
  const t0 = performance.now();
  const { info, plan } = model;
  const fourD = input.volumes.length === 1 && input.volumes[0]!.channels > 1;
  const loaded = caseFromVolumes({ id: input.id, images: input.names, channelInFile: fourD ? '4d' : 'separate' }, input.volumes, undefined, info.network.inChannels);
  const pre = preprocessCase(loaded, plan, '');
  const sw = await predictSlidingWindow(forward, pre.images, pre.properties.shape, {
    patchSize: info.patchSize, numClasses: info.network.classes, step: o.step,
    mirrorAxes: o.tta ?? true ? info.mirrorAxes : [], windowsPerForward: o.windowsPerForward, onProgress: o.onProgress,
  });
  const label = labelVolume(sw.logits, pre.properties, plan.resampling);
  return { label, windows: sw.windows, seconds: (performance.now() - t0) / 1000 };
}
