/**
 * The scan and its segmentation in NiiVue: axial, coronal and sagittal planes and a 3-D render in a
 * 2x2 grid, the image in grey, the labels on top in their colours (label_colour_table.ts). Only this
 * file knows NiiVue.
 */
import { MULTIPLANAR_TYPE, NVImage, Niivue, SHOW_RENDER } from '@niivue/niivue';
import { isGzip } from '../io/nifti_codec.js';
import { type LabelStyle, labelColourTable } from './label_colour_table.js';

/** What the crosshair points at, for the line under the viewer. */
export interface ViewerLocation { voxel: [number, number, number]; mm: [number, number, number]; intensity: number; label?: number }

export class ScanViewer {
  private readonly nv: Niivue;
  private labels: NVImage | undefined;
  private opacity = 0.6;

  private constructor(nv: Niivue) { this.nv = nv; }

  /** Calls back whenever the crosshair moves (a click, the arrow keys, centreOn). */
  onLocation(callback: (where: ViewerLocation) => void): void {
    this.nv.onLocationChange = (data: unknown) => {
      const d = data as { mm: ArrayLike<number>; values: { value: number; vox: ArrayLike<number> }[] };
      const [image, labels] = d.values;
      if (!image) return;
      callback({
        voxel: [image.vox[0]!, image.vox[1]!, image.vox[2]!].map(Math.round) as [number, number, number],
        mm: [d.mm[0]!, d.mm[1]!, d.mm[2]!],
        intensity: image.value,
        ...(labels ? { label: Math.round(labels.value) } : {}),
      });
    };
  }

  /** Moves the crosshair to a voxel (NIfTI indices of the image). */
  centreOn(voxel: readonly [number, number, number]): void {
    this.nv.scene.crosshairPos = this.nv.vox2frac([voxel[0], voxel[1], voxel[2]]);
    this.nv.createOnLocationChange();
    this.nv.drawScene();
  }

  /** Attaches to the canvas; throws when the browser has no WebGL2 (the page says so). */
  static async attach(canvas: HTMLCanvasElement): Promise<ScanViewer> {
    const nv = new Niivue({
      backColor: [0, 0, 0, 1],
      // thin, and in a colour no label has (report/overlay.ts' palette): never mistaken for a structure
      crosshairColor: [1, 0.25, 0.25, 0.75],
      crosshairWidth: 0.25,
      fontColor: [0.85, 0.85, 0.85, 1], // the orientation letters, readable on black and on the image
      show3Dcrosshair: false,
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
