/**
 * Where a dataset's derived files go by default: $PSPSEG_WORK/<dataset name>/ or, without that
 * variable, ./pspseg_work/<dataset name>/ under the current directory. Inside it: plan.json,
 * fingerprint.json, check_cache.json and preprocessed/ (one .pspcase file per case).
 */
import { join, resolve } from 'node:path';

export function workRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.PSPSEG_WORK || join(process.cwd(), 'pspseg_work'));
}

/** A file-name-safe form of a dataset name. */
export function safeName(name: string): string {
  return name.trim().replace(/[^A-Za-z0-9._-]+/g, '_') || 'dataset';
}

export function datasetWorkDir(datasetName: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(workRoot(env), safeName(datasetName));
}

export const PLAN_FILE = 'plan.json';
export const FINGERPRINT_FILE = 'fingerprint.json';
export const PREPROCESSED_DIR = 'preprocessed';
/** Each case's check result with its files' sizes and mtimes (dataset/check.ts). */
export const CHECK_CACHE_FILE = 'check_cache.json';
