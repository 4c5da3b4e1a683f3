/** PSP-Seg's variants and branch kernel sets (docs/method.md, "Variants and parameter counts"). Kernels are (depth, height, width). */
import type { Triple } from './shapes.js';

export const BRANCH_KERNELS: Record<1 | 4 | 7, Triple[]> = {
  1: [[1, 1, 1]],
  4: [[1, 1, 1], [1, 3, 3], [3, 1, 3], [3, 3, 1]],
  7: [[1, 1, 1], [1, 1, 3], [1, 3, 1], [3, 1, 1], [1, 3, 3], [3, 1, 3], [3, 3, 1]],
};
export type BranchCount = keyof typeof BRANCH_KERNELS;
export const isBranchCount = (n: number): n is BranchCount => n === 1 || n === 4 || n === 7;

export const PSP_VARIANT_NAMES = ['S', 'B', 'L'] as const;
export type PspVariant = (typeof PSP_VARIANT_NAMES)[number];
export const PSP_VARIANTS: Record<PspVariant, { channels: number[]; branches: BranchCount; ratio: number }> = {
  S: { channels: [16, 32, 64, 128, 256], branches: 4, ratio: 0.5 },
  // The paper's text says ratio 0.5 for every block; the authors' code (and the reference
  // parameter counts) use 2 for B and L.
  B: { channels: [16, 32, 64, 128, 256], branches: 7, ratio: 2 },
  L: { channels: [16, 32, 64, 128, 256, 320], branches: 7, ratio: 2 },
};
