/** Progressive pruning (PSP-Seg): controller, block search, deletion, state, reports. */
export * from './prunable.js';
export * from './settings.js';
export * from './convergence.js';
export * from './block_search.js';
export * from './network_ops.js';
export * from './state.js';
export * from './events.js';
export * from './controller.js';
export * from './summary.js';
export * from './grid_svg.js';
export * from './calibration_memory.js';
export * from './summary_file.js';
