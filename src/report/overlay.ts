/**
 * Slice pictures with segmentations on top: the image in grey (windowed between two intensity
 * percentiles), each label value as a translucent colour with a solid outline; reference and
 * prediction side by side in one picture.
 */
import type { RgbImage } from './png.js';
import type { SliceGrid } from './slices.js';

/** Colour-blind-safe colours (Okabe & Ito), one per label value 1, 2, ... (repeating). */
export const LABEL_COLOURS: readonly [number, number, number][] = [
  [230, 159, 0], [86, 180, 233], [0, 158, 115], [240, 228, 66], [0, 114, 178], [213, 94, 0], [204, 121, 167],
];
export const labelColour = (value: number): [number, number, number] => LABEL_COLOURS[(value - 1) % LABEL_COLOURS.length]!;
export const cssColour = ([r, g, b]: readonly number[]): string => `rgb(${r}, ${g}, ${b})`;

/** Opacity of the colour inside a structure; its outline is opaque. */
const FILL_ALPHA = 0.35;
/** Width in pixels of the white gap between the two panels. */
export const PANEL_GAP = 8;

/** Values a report reads from voxel arrays (bigint labels included). */
export type Voxels = ArrayLike<number> | BigInt64Array;

const numberAt = (data: Voxels, i: number): number => Number(data[i]);

export interface IntensityWindow { low: number; high: number }

/**
 * The `lowPct` and `highPct` percentiles of the finite values (nearest rank), from at most `maxSamples`
 * evenly spaced voxels: a CT volume has tens of millions, and a window needs no more.
 */
export function percentileWindow(data: Voxels, lowPct = 0.5, highPct = 99.5, maxSamples = 1 << 20): IntensityWindow {
  const step = Math.max(1, Math.floor(data.length / maxSamples));
  const values: number[] = [];
  for (let i = 0; i < data.length; i += step) {
    const v = numberAt(data, i);
    if (Number.isFinite(v)) values.push(v);
  }
  if (!values.length) return { low: 0, high: 1 };
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((p / 100) * (sorted.length - 1))))]!;
  return { low: at(lowPct), high: at(highPct) };
}

/** One panel: grey image (black when there is none) with the labels' colours and outlines. */
export function renderPanel(grid: SliceGrid, image: Voxels | null, window: IntensityWindow, labels: Voxels | null): RgbImage {
  const { width, height, voxel } = grid;
  const rgb = new Uint8Array(width * height * 3);
  const span = window.high > window.low ? window.high - window.low : 1;
  const lab = new Int32Array(width * height);
  for (let p = 0; p < voxel.length; p++) {
    const v = voxel[p]!;
    const g = image ? Math.round(255 * Math.min(1, Math.max(0, (numberAt(image, v) - window.low) / span))) : 0;
    rgb[3 * p] = rgb[3 * p + 1] = rgb[3 * p + 2] = Number.isNaN(g) ? 0 : g;
    if (labels) lab[p] = numberAt(labels, v);
  }
  if (!labels) return { width, height, rgb };
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const p = r * width + c;
      const l = lab[p]!;
      if (l <= 0) continue;
      // outline: a labelled pixel next to a different value (or the picture's border)
      const edge = c === 0 || r === 0 || c === width - 1 || r === height - 1 ||
        lab[p - 1] !== l || lab[p + 1] !== l || lab[p - width] !== l || lab[p + width] !== l;
      const col = labelColour(l);
      const a = edge ? 1 : FILL_ALPHA;
      for (let k = 0; k < 3; k++) rgb[3 * p + k] = Math.round((1 - a) * rgb[3 * p + k]! + a * col[k]!);
    }
  }
  return { width, height, rgb };
}

/** Panels of equal height next to each other, with white gaps. */
export function sideBySide(panels: readonly RgbImage[], gap = PANEL_GAP): RgbImage {
  const height = Math.max(...panels.map((p) => p.height));
  const width = panels.reduce((w, p) => w + p.width, 0) + gap * (panels.length - 1);
  const rgb = new Uint8Array(width * height * 3).fill(255);
  let x0 = 0;
  for (const p of panels) {
    for (let r = 0; r < p.height; r++) rgb.set(p.rgb.subarray(r * p.width * 3, (r + 1) * p.width * 3), (r * width + x0) * 3);
    x0 += p.width + gap;
  }
  return { width, height, rgb };
}
