export { Optimizer, type NamedParameters } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { AdamW, type AdamWOptions } from './adamw.js';
export { polyLR, clipGradNorm } from './schedule.js';
export { GradScaler, type GradScalerOptions, type GradScalerState } from './grad_scaler.js';
export { averageGradients, broadcastParameters, bucketsOf, DEFAULT_BUCKET_BYTES, type ExchangeStats } from './gradient_averaging.js';
