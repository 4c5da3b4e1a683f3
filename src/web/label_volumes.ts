/**
 * How much of each label a segmentation holds, in voxels and millilitres: what a clinician reads off
 * first. The voxel volume is the product of the input's spacing (mm), as the label map lies on the
 * input's grid.
 */
import type { Volume } from '../io/volume.js';

export interface LabelAmount {
  value: number;
  name: string;
  voxels: number;
  /** voxels x voxel volume, in mL (1 mL = 1000 mm^3). */
  millilitres: number;
}

/** One entry per foreground label of the model (background, value 0, left out), in the model's order. */
export function labelAmounts(label: Volume, labels: readonly { name: string; value: number }[]): LabelAmount[] {
  const counts = new Map<number, number>();
  const data = label.data;
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const voxelMm3 = label.spacing[0] * label.spacing[1] * label.spacing[2];
  return labels.filter((l) => l.value !== 0).map((l) => {
    const voxels = counts.get(l.value) ?? 0;
    return { value: l.value, name: l.name, voxels, millilitres: (voxels * voxelMm3) / 1000 };
  });
}

/** mL with enough digits for small structures: 3.42 mL, 0.215 mL, 125 mL. */
export function formatMillilitres(ml: number): string {
  if (ml === 0) return '0 mL';
  const digits = ml >= 100 ? 0 : ml >= 10 ? 1 : ml >= 1 ? 2 : 3;
  return `${ml.toFixed(digits)} mL`;
}
