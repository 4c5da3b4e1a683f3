/**
 * Loose image and label files as dataset cases (for `pspseg dataset`): each input is a file, a folder
 * (its NIfTI files) or a pattern with `*` (matched by pspseg, so quote it), and each file gets a key
 * that pairs it with the other channels and the label of its case:
 * - a file in a folder: its name without the ending (and without an nnU-Net channel suffix _XXXX);
 * - a pattern: what its `*`s matched, joined by '_' ('brats/*\/t1.nii.gz' -> the case folder's name);
 * - a single file: its name without the ending.
 * Labels pair with images by equal keys, else by the longest image key their key starts with
 * (spleen_ct.nii.gz with spleen_ct_seg.nii.gz), else, when every input is a single file given in
 * the same numbers, in the order given.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, resolve, sep } from 'node:path';
import { niftiEnding, stripEnding } from './dataset_json.js';
import { linkTarget, missingFileReason } from '../../util/missing_file.js';

export interface KeyedFile { key: string; path: string; ending: string }

export interface InputGroup {
  /** The input as given. */
  input: string;
  kind: 'file' | 'folder' | 'pattern';
  files: KeyedFile[];
}

export class DatasetInputError extends Error {
  override readonly name = 'DatasetInputError';
}

const CHANNEL_SUFFIX = /^(.+)_(\d{4})$/;

function niftiFilesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => !d.name.startsWith('.') && !d.isDirectory() && niftiEnding(d.name))
    .map((d) => d.name).sort();
}

function keyOf(name: string): { key: string; ending: string } {
  const ending = niftiEnding(name);
  return { key: stripEnding(name, name.slice(name.length - ending.length)), ending };
}

const escapeRegExp = (s: string): string => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** Files matching a pattern whose segments may hold `*`; the key joins the matched parts. */
function matchPattern(pattern: string): KeyedFile[] {
  const abs = resolve(pattern);
  const parts = abs.split(sep);
  const fixed = parts.findIndex((p) => p.includes('*'));
  let level: { dir: string; captures: string[] }[] = [{ dir: parts.slice(0, fixed).join(sep) || sep, captures: [] }];
  const out: KeyedFile[] = [];
  for (let i = fixed; i < parts.length; i++) {
    const part = parts[i]!;
    const last = i === parts.length - 1;
    const next: typeof level = [];
    for (const { dir, captures } of level) {
      if (!part.includes('*')) {
        const path = join(dir, part);
        const st = statSync(path, { throwIfNoEntry: false });
        if (last ? st?.isFile() : st?.isDirectory()) next.push({ dir: path, captures });
        continue;
      }
      const re = new RegExp(`^${part.split('*').map(escapeRegExp).join('(.*)')}$`);
      let names: string[];
      try { names = readdirSync(dir).sort(); } catch { continue; }
      for (const name of names) {
        const m = re.exec(name);
        if (!m || name.startsWith('.')) continue;
        const path = join(dir, name);
        const st = statSync(path, { throwIfNoEntry: false });
        if (last ? st?.isFile() : st?.isDirectory()) next.push({ dir: path, captures: [...captures, ...m.slice(1)] });
      }
    }
    level = next;
  }
  for (const { dir: path, captures } of level) {
    const ending = niftiEnding(path);
    if (!ending) continue;
    const key = captures.map((c) => stripEnding(stripEnding(c, '.nii.gz'), '.nii')).filter(Boolean).join('_') || keyOf(basename(path)).key;
    out.push({ key, path, ending });
  }
  return out;
}

/** The files of one input, keyed. Throws DatasetInputError for an input that names nothing. */
export function expandInput(input: string, stripChannelSuffix: boolean): InputGroup {
  if (input.includes('*')) {
    const files = matchPattern(input);
    if (!files.length) throw new DatasetInputError(`${input}: no NIfTI file matches this pattern`);
    return { input, kind: 'pattern', files };
  }
  const path = isAbsolute(input) ? input : resolve(input);
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new DatasetInputError(`${input}: ${linkTarget(path) ? missingFileReason(path) : 'no such file or folder'}`);
  if (st.isDirectory()) {
    const names = niftiFilesIn(path);
    if (!names.length) throw new DatasetInputError(`${input}: the folder holds no .nii or .nii.gz file`);
    return {
      input, kind: 'folder',
      files: names.map((name) => {
        const { key, ending } = keyOf(name);
        const m = stripChannelSuffix ? CHANNEL_SUFFIX.exec(key) : null;
        return { key: m ? m[1]! : key, path: join(path, name), ending };
      }),
    };
  }
  const { key, ending } = keyOf(basename(path));
  if (!ending) throw new DatasetInputError(`${input}: not a NIfTI file (.nii or .nii.gz)`);
  return { input, kind: 'file', files: [{ key, path, ending }] };
}

export interface PairedCase {
  key: string;
  /** One per channel, in channel order. */
  images: KeyedFile[];
  label: KeyedFile;
}

function byKey(files: readonly KeyedFile[], what: string): Map<string, KeyedFile> {
  const m = new Map<string, KeyedFile>();
  for (const f of files) {
    const seen = m.get(f.key);
    if (seen) throw new DatasetInputError(`${what}: ${seen.path} and ${f.path} both pair as case '${f.key}'; give each case its own file name, folder or pattern`);
    m.set(f.key, f);
  }
  return m;
}

/**
 * Image groups (one per channel when `perChannel`, else every file is one channel or carries an
 * nnU-Net channel suffix) and label groups to cases.
 */
export function pairCases(imageGroups: readonly InputGroup[], labelGroups: readonly InputGroup[], channels: number): PairedCase[] {
  const allLabels = labelGroups.flatMap((g) => g.files);
  let channelFiles: KeyedFile[][];
  if (channels === 1) {
    channelFiles = [imageGroups.flatMap((g) => g.files)];
  } else if (imageGroups.length === channels) {
    channelFiles = imageGroups.map((g) => g.files);
  } else {
    // one folder of nnU-Net-named files (CASE_0000, CASE_0001, ...)
    const files = imageGroups.flatMap((g) => g.files.map((f) => ({ f, m: CHANNEL_SUFFIX.exec(basename(f.path).slice(0, -f.ending.length)) })));
    if (!files.every((x) => x.m && Number(x.m[2]) < channels)) {
      throw new DatasetInputError(`${channels} channels: give --images once per channel, in --channel-names order (or one folder of files named CASE_0000, CASE_0001, ...)`);
    }
    channelFiles = Array.from({ length: channels }, (_, ch) => files.filter((x) => Number(x.m![2]) === ch).map((x) => ({ ...x.f, key: x.m![1]! })));
  }
  const channelMaps = channelFiles.map((files, ch) => byKey(files, `channel ${ch} images`));
  const first = channelMaps[0]!;
  channelMaps.forEach((m, ch) => {
    const missing = [...first.keys()].filter((k) => !m.has(k));
    const extra = [...m.keys()].filter((k) => !first.has(k));
    if (missing.length || extra.length) {
      throw new DatasetInputError(`channel ${ch} images do not pair with channel 0's: ${[...missing.map((k) => `no file for case '${k}'`), ...extra.map((k) => `case '${k}' only in channel ${ch}`)].slice(0, 5).join(', ')}`);
    }
  });
  const keys = [...first.keys()];
  const labelFor = pairLabels(keys, allLabels, imageGroups.every((g) => g.kind === 'file') && labelGroups.every((g) => g.kind === 'file'));
  return keys.map((key) => ({ key, images: channelMaps.map((m) => m.get(key)!), label: labelFor.get(key)! }));
}

function pairLabels(keys: readonly string[], labels: readonly KeyedFile[], inOrder: boolean): Map<string, KeyedFile> {
  const exact = byKey(labels, 'labels');
  if (keys.length === labels.length && keys.every((k) => exact.has(k))) return new Map(keys.map((k) => [k, exact.get(k)!]));
  // spleen_ct.nii.gz <- spleen_ct_seg.nii.gz: the longest image key a label key starts with
  const byPrefix = new Map<string, KeyedFile>();
  let prefixOk = labels.length === keys.length;
  for (const l of labels) {
    const owner = keys.filter((k) => l.key === k || l.key.startsWith(k)).sort((a, b) => b.length - a.length)[0];
    if (!owner || byPrefix.has(owner)) { prefixOk = false; break; }
    byPrefix.set(owner, l);
  }
  if (prefixOk && byPrefix.size === keys.length) return byPrefix;
  if (inOrder && labels.length === keys.length) return new Map(keys.map((k, i) => [k, labels[i]!]));
  const unpaired = keys.filter((k) => !exact.has(k) && !byPrefix.has(k));
  throw new DatasetInputError(`cannot pair ${labels.length} label file(s) with ${keys.length} case(s)`
    + (unpaired.length ? `: no label for ${unpaired.slice(0, 5).map((k) => `'${k}'`).join(', ')}${unpaired.length > 5 ? ', ...' : ''}` : '')
    + '. Labels pair with images by file name (equal, or the image name plus a suffix such as _seg), or by folder for patterns');
}

/** A case id nnU-Net and pspseg accept in file names. */
export function caseIdOf(key: string): string {
  return key.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '') || 'case';
}

