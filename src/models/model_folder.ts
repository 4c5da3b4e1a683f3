/**
 * A trained model's fold folder (<work>/models/<name>/fold_<k>/) as `pspseg train` writes it and
 * predict, evaluate and report read it: the names of its files, and the part of config.json that
 * every reader needs. It lives here, below train and infer (siblings that may not import each
 * other), so that the folder has one definition: the trainer's full config schema
 * (src/train/config.ts) extends `trainedModelConfigSchema`; prediction reads with it as it is.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { ARCHITECTURE_FILE } from './architecture_file.js';

export { ARCHITECTURE_FILE };
/** The run's settings (src/train/config.ts). */
export const CONFIG_FILE = 'config.json';
/** One JSON record per epoch, pruning events between them (src/train/training_log.ts). */
export const TRAINING_LOG_FILE = 'training_log.jsonl';
/** Training curves, redrawn after every epoch. */
export const PROGRESS_FILE = 'progress.svg';
/** Every PRM block's state per epoch (the paper's Fig. 4), redrawn after every epoch while pruning. */
export const PRUNING_GRID_FILE = 'pruning.svg';
/** The final architecture: surviving blocks, parameters per PRM, reduction (src/pruning/summary_file.ts). */
export const PRUNING_SUMMARY_FILE = 'pruning_summary.json';
/** Every file a training run writes (and `--force` removes), checkpoints aside. */
export const RUN_FILES = [CONFIG_FILE, ARCHITECTURE_FILE, TRAINING_LOG_FILE, PROGRESS_FILE, PRUNING_GRID_FILE, PRUNING_SUMMARY_FILE] as const;

/**
 * Checkpoints, each a pair of files: `final` after the last epoch, `best` at the highest EMA pseudo
 * Dice, `latest` after every epoch of an unfinished run (a finished run keeps final and best only).
 */
export const CHECKPOINT_KINDS = ['final', 'best', 'latest'] as const;
export type CheckpointKind = (typeof CHECKPOINT_KINDS)[number];
/** A checkpoint's weights: safetensors that PyTorch loads, named as the network's parameters. */
export const checkpointWeightsFile = (dir: string, kind: CheckpointKind): string => join(dir, `checkpoint_${kind}.safetensors`);
/** A checkpoint's optimiser state, with the trainer's state (epoch, logs, EMA, architecture, pruning) as metadata. */
export const checkpointStateFile = (dir: string, kind: CheckpointKind): string => join(dir, `checkpoint_${kind}.state.safetensors`);

/** The fold's validation cases predicted from their original files, and their evaluation. */
export const VALIDATION_DIR = 'validation';
export const SUMMARY_FILE = 'summary.json';

const posInt = z.number().int().positive();

/** The preprocessed dataset a model trained on; the trainer's schema adds the fields only training uses. */
export const trainedDatasetSchema = z.object({
  name: z.string(),
  workDir: z.string(),
  preprocessedDir: z.string(),
  planHash: z.string(),
  inChannels: posInt,
  /** Network output channels: 1 + the largest label value. */
  classes: z.number().int().min(2),
  /** Foreground labels (scored by the pseudo Dice); output channel c is label value c (nnU-Net's consecutive labels). */
  labels: z.array(z.object({ name: z.string(), value: posInt }).strict()).min(1),
});

/** The fields of config.json every reader of a model folder needs (others are ignored here). */
export const trainedModelConfigSchema = z.object({
  /** The model's folder name under <work>/models/. */
  name: z.string().min(1),
  fold: z.union([z.number().int().min(0), z.literal('all')]),
  dataset: trainedDatasetSchema,
  valCases: z.array(z.string()).min(1),
  /** The patch the network trained on: the sliding window's (it may differ from the plan's). */
  patchSize: z.tuple([posInt, posInt, posInt]),
});
