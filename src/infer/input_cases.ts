/**
 * The cases to predict from the command line's inputs. A folder contributes every NIfTI file in it:
 * files named CASE_XXXX.nii(.gz) (nnU-Net's one file per channel, XXXX the channel) group into case
 * CASE, any other NIfTI file is a case by itself (all its channels: a 3D image or a 4D multi-channel
 * file, as MSD's). A single file argument that follows the channel naming brings its sibling channels.
 * Problems (missing channels, duplicate ids) stay attached to the case: it is reported and skipped,
 * the others are predicted.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { CaseFiles } from '../data/dataset/case_reader.js';
import { linkTarget, missingFileReason } from '../util/missing_file.js';

export interface InputCase {
  id: string;
  files: CaseFiles;
  /** '.nii.gz' or '.nii', from the first image: outputs use the same ending. */
  ending: string;
  /** Why this case cannot be predicted (it is then skipped and reported with its id, so the text leaves the id out). */
  problem?: string;
}

const NIFTI = /\.nii(\.gz)?$/i;
const CHANNEL_FILE = /^(.+)_(\d{4})(\.nii(?:\.gz)?)$/i;

function endingOf(file: string): string {
  return /\.gz$/i.test(file) ? '.nii.gz' : '.nii';
}

interface Grouped { channels: Map<number, string>; plain?: string }

function addFile(groups: Map<string, Grouped>, path: string): void {
  const name = basename(path);
  const m = CHANNEL_FILE.exec(name);
  const id = m ? m[1]! : name.replace(NIFTI, '');
  const g: Grouped = groups.get(id) ?? { channels: new Map() };
  groups.set(id, g);
  if (m) {
    const ch = Number(m[2]);
    const prev = g.channels.get(ch);
    if (prev && prev !== path) throw new Error(`channel ${ch} given twice (${prev}, ${path})`);
    g.channels.set(ch, path);
  } else {
    if (g.plain && g.plain !== path) throw new Error(`given twice (${g.plain}, ${path})`);
    g.plain = path;
  }
}

/** Groups the input paths into cases, in id order. `channels` is the number of input channels the model takes. */
export function listInputCases(inputs: readonly string[], channels: number): InputCase[] {
  const groups = new Map<string, Grouped>();
  const problems = new Map<string, string>();
  const add = (path: string): void => {
    try { addFile(groups, path); } catch (err) {
      const id = (CHANNEL_FILE.exec(basename(path))?.[1]) ?? basename(path).replace(NIFTI, '');
      problems.set(id, (err as Error).message);
    }
  };
  for (const input of inputs) {
    const path = resolve(input);
    let isDir: boolean;
    try { isDir = statSync(path).isDirectory(); } catch {
      throw new Error(`${path}: ${linkTarget(path) ? `input is a ${missingFileReason(path)}` : 'input does not exist'}`);
    }
    if (isDir) {
      const files = readdirSync(path).filter((f) => NIFTI.test(f) && !f.startsWith('.')).sort();
      if (!files.length) throw new Error(`${path}: no NIfTI images (.nii, .nii.gz) in this folder`);
      for (const f of files) add(join(path, f));
    } else {
      if (!NIFTI.test(path)) throw new Error(`${path}: not a NIfTI image (.nii or .nii.gz)`);
      const m = CHANNEL_FILE.exec(basename(path));
      if (m) {
        // bring the sibling channels of the same case
        for (const f of readdirSync(dirname(path)).sort()) {
          const s = CHANNEL_FILE.exec(f);
          if (s && s[1] === m[1]) add(join(dirname(path), f));
        }
      } else add(path);
    }
  }
  const out: InputCase[] = [];
  for (const id of [...new Set([...groups.keys(), ...problems.keys()])].sort()) {
    const g = groups.get(id) ?? { channels: new Map<number, string>() };
    const images = [...g.channels.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
    let problem = problems.get(id);
    let files: CaseFiles;
    if (g.plain && images.length) {
      problem ??= `both ${g.plain} and per-channel files ${images.join(', ')}`;
      files = { id, images: [g.plain], channelInFile: '4d' };
    } else if (g.plain) {
      files = { id, images: [g.plain], channelInFile: '4d' };
    } else {
      files = { id, images, channelInFile: 'separate' };
      const missing = Array.from({ length: channels }, (_, c) => c).filter((c) => !g.channels.has(c));
      const extra = [...g.channels.keys()].filter((c) => c >= channels);
      if (missing.length) problem ??= `missing channel file(s) ${missing.map((c) => `${id}_${String(c).padStart(4, '0')}`).join(', ')} (the model takes ${channels} channel(s))`;
      else if (extra.length) problem ??= `channel file(s) ${extra.join(', ')} beyond the model's ${channels} channel(s)`;
    }
    out.push({ id, files, ending: endingOf(files.images[0] ?? '.nii.gz'), ...(problem ? { problem } : {}) });
  }
  return out;
}
