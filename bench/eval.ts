/**
 * Evaluation benchmark on a BraTS-sized case (240x240x155, 1 mm): the tumour labels of
 * samples/brats2015 against the same labels shifted by (2, 1, 1) voxels (a plausible prediction),
 * and the whole brain mask against its shifted copy (a large surface: the costly end).
 * Times reading both files, then Dice/NSD/HD95 for every class, single-threaded.
 * Environment: BENCH_CASE (default $PSPSEG_DATA or ../shared/data, then samples/brats2015/brats_2013_pat0005_1),
 * BENCH_REPEAT (3). BENCH_SMOKE=1: each evaluation once, to check that it runs.
 * Last line: one JSON object {"shape", "read_s", "tumour_s", "brain_s", "classes", "cpu"}.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateLabelMaps } from '../src/eval/case_metrics.js';
import { parseLabelList, toLabelMap } from '../src/eval/label_map.js';
import { readNifti } from '../src/io/nifti.js';
import { describeCpu } from '../src/util/cpu_info.js';
import { numberSetting } from './smoke.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataDir = resolve(root, process.env.PSPSEG_DATA ?? '../shared/data');
const caseDir = resolve(root, process.env.BENCH_CASE ?? join(dataDir, 'samples/brats2015/brats_2013_pat0005_1'));
const repeat = numberSetting('BENCH_REPEAT', 3, 1);
const round = (x: number): number => Number(x.toFixed(3));

function shifted(map: Int32Array, shape: readonly number[], d: [number, number, number]): Int32Array {
  const [nx, ny, nz] = shape as [number, number, number];
  const out = new Int32Array(map.length);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) {
    const sx = x - d[0], sy = y - d[1], sz = z - d[2];
    if (sx >= 0 && sy >= 0 && sz >= 0 && sx < nx && sy < ny && sz < nz) out[x + nx * (y + ny * z)] = map[sx + nx * (sy + ny * sz)]!;
  }
  return out;
}

function best(f: () => void): number {
  let t = Infinity;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    f();
    t = Math.min(t, (performance.now() - t0) / 1000);
  }
  return t;
}

const t0 = performance.now();
const labels = await readNifti(join(caseDir, 'OTMultiClass.nii.gz'));
const brain = await readNifti(join(caseDir, 'brainmask.nii.gz'));
const readSeconds = (performance.now() - t0) / 1000;
const ref = toLabelMap(labels, 'OTMultiClass'), brainRef = toLabelMap(brain, 'brainmask');
const pred = shifted(ref, labels.shape, [2, 1, 1]), brainPred = shifted(brainRef, brain.shape, [2, 1, 1]);
const classes = parseLabelList('1,2,3,4,1+2+3+4');
const opts = { nsdToleranceMm: 2 };

let tumour = {} as ReturnType<typeof evaluateLabelMaps>;
const tumourSeconds = best(() => { tumour = evaluateLabelMaps(ref, pred, labels.shape, labels.spacing, classes, opts); });
let whole = {} as ReturnType<typeof evaluateLabelMaps>;
const brainSeconds = best(() => { whole = evaluateLabelMaps(brainRef, brainPred, brain.shape, brain.spacing, parseLabelList('1'), opts); });

for (const [k, m] of Object.entries(tumour)) console.log(`tumour class ${k}: ${m.n_ref} voxels, Dice ${m.Dice.toFixed(4)}, NSD ${m.NSD.toFixed(4)}, HD95 ${m.HD95.toFixed(2)} mm`);
console.log(`brain mask: ${whole['1']!.n_ref} voxels, Dice ${whole['1']!.Dice.toFixed(4)}, NSD ${whole['1']!.NSD.toFixed(4)}, HD95 ${whole['1']!.HD95.toFixed(2)} mm`);
console.log(`${labels.shape.join('x')}: read both files ${readSeconds.toFixed(2)} s; tumour (5 classes) ${tumourSeconds.toFixed(2)} s; brain mask ${brainSeconds.toFixed(2)} s`);
console.log(JSON.stringify({ shape: labels.shape, read_s: round(readSeconds), tumour_s: round(tumourSeconds), brain_s: round(brainSeconds), classes: classes.length, cpu: describeCpu() }));
