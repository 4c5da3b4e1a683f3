/** The model report (report.html): reading a fold folder, the sections, the slice pictures, the PNG encoder. */
export * from './png.js';
export * from './slices.js';
export * from './overlay.js';
export * from './case_overlays.js';
export * from './fold_inputs.js';
export * from './report.js';
