/**
 * The scan and its segmentation in NiiVue: axial, coronal and sagittal planes and a 3-D render in a
 * 2x2 grid, the image in grey, the labels on top as a label colour table (one colour per label value,
 * background clear). Hiding a label makes its colour transparent rather than removing voxels, so the
 * label map the page saves never changes with what is shown.
 */
import { MULTIPLANAR_TYPE, NVImage, Niivue, SHOW_RENDER } from '@niivue/niivue';
import { isGzip } from '../../io/nifti_codec.js';

export interface LabelStyle { value: number; name: string; rgb: readonly [number, number, number]; visible: boolean }

export class ScanViewer {
  private readonly nv: Niivue;
  private labels: NVImage | undefined;
  private opacity = 0.6;

  private constructor(nv: Niivue) { this.nv = nv; }

  /** Attaches to the canvas; throws when the browser has no WebGL2 (the page says so). */
  static async attach(canvas: HTMLCanvasElement): Promise<ScanViewer> {
    const nv = new Niivue({
      backColor: [0, 0, 0, 1],
      crosshairColor: [0.2, 0.8, 1, 0.9],
      show3Dcrosshair: true,
      multiplanarLayout: MULTIPLANAR_TYPE.GRID,
      multiplanarShowRender: SHOW_RENDER.ALWAYS,
      multiplanarPadPixels: 4,
      isOrientationTextVisible: true,
      dragAndDropEnabled: false, // the page takes drops itself: channels, messages
      loadingText: '',
      logLevel: 'error', // not its notes on how it windows each volume
    });
    await nv.attachToCanvas(canvas);
    nv.setSliceType(nv.sliceTypeMultiplanar);
    return new ScanViewer(nv);
  }

  /** Shows one image file (NIfTI, gzipped or not), replacing whatever was shown. */
  async showImage(bytes: Uint8Array): Promise<void> {
    for (const v of [...this.nv.volumes]) this.nv.removeVolume(v);
    this.labels = undefined;
    const image = await NVImage.loadFromUrl({ url: bytes, name: isGzip(bytes) ? 'image.nii.gz' : 'image.nii', colormap: 'gray' });
    this.nv.addVolume(image);
    this.nv.setRenderAzimuthElevation(120, 15);
  }

  /** Lays the label map (an uncompressed NIfTI on the image's grid) over the image. */
  async showLabels(niftiBytes: Uint8Array, styles: readonly LabelStyle[]): Promise<void> {
    if (this.labels) this.nv.removeVolume(this.labels);
    const labels = await NVImage.loadFromUrl({ url: niftiBytes, name: 'labels.nii', opacity: this.opacity });
    labels.setColormapLabel(labelColourTable(styles));
    this.nv.addVolume(labels);
    this.labels = labels;
    this.nv.setOpacity(this.nv.volumes.indexOf(labels), this.opacity);
  }

  /** New colours or visibility: the table is rebuilt, the voxels stay. */
  restyleLabels(styles: readonly LabelStyle[]): void {
    if (!this.labels) return;
    this.labels.setColormapLabel(labelColourTable(styles));
    this.nv.updateGLVolume();
  }

  setLabelOpacity(opacity: number): void {
    this.opacity = opacity;
    if (this.labels) this.nv.setOpacity(this.nv.volumes.indexOf(this.labels), opacity);
  }
}

/** NiiVue's label table: background (0) clear, hidden labels clear, the others opaque in their colour. */
export function labelColourTable(styles: readonly LabelStyle[]): { R: number[]; G: number[]; B: number[]; A: number[]; I: number[]; labels: string[] } {
  const rows = [{ value: 0, name: 'background', rgb: [0, 0, 0] as const, visible: false }, ...styles.filter((s) => s.value !== 0)];
  return {
    R: rows.map((s) => s.rgb[0]), G: rows.map((s) => s.rgb[1]), B: rows.map((s) => s.rgb[2]),
    A: rows.map((s) => (s.visible ? 255 : 0)), I: rows.map((s) => s.value), labels: rows.map((s) => s.name),
  };
}
