/**
 * Peak memory of preprocessing one case (and of the fingerprint's read of it), to calibrate the
 * estimates in src/data/preprocess/memory_estimate.ts. One measurement per process: run it once per
 * setting. Arguments: MODE (preprocess | fingerprint), TARGET_SPACING x,y,z mm, LABEL, IMAGE...
 * (one file per channel). MODE shapes prints the voxel counts (input, after crop, after resampling);
 * the others the peak RSS growth of the process over its size after the imports.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCase } from '../src/data/dataset/case_reader.js';
import { runFingerprintTask } from '../src/data/plan/fingerprint_case.js';
import { DEFAULT_FOREGROUND_SAMPLING } from '../src/data/preprocess/foreground_locations.js';
import { runPreprocessTask } from '../src/data/preprocess/preprocess_task.js';
import { DEFAULT_RESAMPLING, computeNewShape } from '../src/data/preprocess/resample.js';
import { reversed3, type Spacing3, voxelCount } from '../src/util/triple.js';
import { cropToNonzero } from '../src/data/preprocess/crop.js';

const [mode, spacingText, label, ...images] = process.argv.slice(2);
if (!mode || !spacingText || !label || images.length === 0) throw new Error('usage: preprocess_memory MODE X,Y,Z LABEL IMAGE...');
const target = reversed3(spacingText.split(',').map(Number)) as Spacing3;
const c = { id: 'case', images, channelInFile: 'separate' as const, label };

if (mode === 'shapes') {
  // The voxel counts, in a process of their own (reading the case would set the peak).
  const probe = await loadCase(c, images.length);
  const crop = cropToNonzero(probe.images, probe.shape, probe.label);
  const outShape = computeNewShape(crop.shape, probe.spacing, target);
  console.log(JSON.stringify({ mode, spacing: spacingText, inputVoxels: voxelCount(probe.shape), cropVoxels: voxelCount(crop.shape), outputVoxels: voxelCount(outShape) }));
  process.exit(0);
}

const rss0 = process.memoryUsage().rss;
const dir = await mkdtemp(join(tmpdir(), 'pspseg-bench-mem-'));
try {
  if (mode === 'fingerprint') {
    await runFingerprintTask({ case: c, channels: images.length, samplesPerCase: Math.floor(10e7 / 200), seed: 1234 });
  } else {
    const plan = {
      version: 1, labels: [0, 1, 2, 3, 4].map((value) => ({ name: `c${value}`, value })),
      channels: images.map(() => ({ scheme: 'zscore' as const, useMask: true })),
      transposeForward: [0, 1, 2] as [number, number, number], transposeBackward: [0, 1, 2] as [number, number, number],
      targetSpacing: target, resampling: DEFAULT_RESAMPLING, foregroundSampling: DEFAULT_FOREGROUND_SAMPLING,
    };
    await runPreprocessTask({ case: c, plan, planHash: 'bench', outPath: join(dir, 'case.pspcase'), sources: [] });
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
const peak = process.resourceUsage().maxRSS * 1024 - rss0;
console.log(JSON.stringify({ mode, channels: images.length, spacing: spacingText, baseMB: Math.round(rss0 / 2 ** 20), peakGrowthMB: Math.round(peak / 2 ** 20) }));
