/**
 * bench:deploy's engines, each a window forward (src/infer/window_forward.ts) run through the one
 * inference path (segmentVolumes): libtorch, onnxruntime-node, onnxruntime-web's WASM in Node. Timing
 * and label maps per case; the WASM runs happen in child processes (bench/deploy_wasm.ts), because
 * onnxruntime-web fixes its thread count once per process.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { readNifti } from '../src/io/nifti.js';
import type { DeployedModel } from '../src/infer/deployed_model.js';
import { segmentVolumes } from '../src/infer/segment.js';
import type { WindowForward } from '../src/infer/window_forward.js';

export interface CaseTiming { id: string; tta: boolean; seconds: number; windows: number; labels: Uint8Array }

export interface BenchCase { id: string; files: string[] }

/** Each case once without and once with mirroring, after one untimed warm-up case. */
export async function timeCases(model: DeployedModel, forward: WindowForward, cases: readonly BenchCase[], mirroring: readonly boolean[]): Promise<CaseTiming[]> {
  const volumes = await Promise.all(cases.map(async (c) => Promise.all(c.files.map((f) => readNifti(f)))));
  if (cases.length) await segmentVolumes({ id: 'warm-up', volumes: volumes[0]!, names: cases[0]!.files }, model, forward, { tta: false });
  const out: CaseTiming[] = [];
  for (const [i, c] of cases.entries()) {
    for (const tta of mirroring) {
      const r = await segmentVolumes({ id: c.id, volumes: volumes[i]!, names: c.files }, model, forward, { tta });
      out.push({ id: c.id, tta, seconds: r.seconds, windows: r.windows, labels: r.label.data as Uint8Array });
    }
  }
  return out;
}

export const modelBytes = (path: string): Uint8Array => readFileSync(path);
export const caseId = (file: string): string => basename(file).replace(/\.nii(\.gz)?$/, '');
