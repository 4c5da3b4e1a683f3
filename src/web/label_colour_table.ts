/**
 * Label colours as NiiVue takes them: a colour table indexed by label value. Hiding a label makes its
 * colour transparent rather than removing voxels, so what is saved never changes with what is shown.
 */

export interface LabelStyle { value: number; name: string; rgb: readonly [number, number, number]; visible: boolean }

/** NiiVue's label table: background (0) clear, hidden labels clear, the others opaque in their colour. */
export function labelColourTable(styles: readonly LabelStyle[]): { R: number[]; G: number[]; B: number[]; A: number[]; I: number[]; labels: string[] } {
  const rows = [{ value: 0, name: 'background', rgb: [0, 0, 0] as const, visible: false }, ...styles.filter((s) => s.value !== 0)];
  return {
    R: rows.map((s) => s.rgb[0]), G: rows.map((s) => s.rgb[1]), B: rows.map((s) => s.rgb[2]),
    A: rows.map((s) => (s.visible ? 255 : 0)), I: rows.map((s) => s.value), labels: rows.map((s) => s.name),
  };
}
