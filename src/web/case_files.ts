/**
 * From the files a user picked or dropped to one case the model can segment: each file unzipped when it
 * is gzip, decoded as NIfTI, and assigned to the model's channels. Every way this can go wrong ends in an
 * InputError whose message the page shows as it is: it names the files and says what the model wants.
 * No DOM and no Node API: the tests run it in Node.
 */
import { gunzipSync } from 'fflate';
import { decodeNifti, isGzip } from '../io/nifti_codec.js';
import type { Volume } from '../io/volume.js';

/** A file as the page has it: its name and all its bytes. */
export interface PickedFile { name: string; bytes: Uint8Array }

/** What segmentVolumes takes, plus which file the viewer shows. */
export interface CaseInput {
  /** The case name: the file name without .nii(.gz) and without nnU-Net's channel suffix _0000. */
  id: string;
  /** One 3D volume per file, or one 4D volume holding every channel. */
  volumes: Volume[];
  /** The file names, in the order of `volumes`. */
  names: string[];
  /** Which file feeds which of the model's channels, for the page to show ("T1c <- b_0001.nii.gz"). */
  assignment: { channel: string; file: string }[];
}

/** Input the page cannot segment; `message` is written for the person who gave it. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

const NIFTI_NAME = /\.nii(\.gz)?$/i;
const CHANNEL_SUFFIX = /_(\d{4})$/;

/** `case_0001.nii.gz` -> `case`; `scan.nii` -> `scan`. */
export function caseIdOf(fileName: string): string {
  return fileName.replace(NIFTI_NAME, '').replace(CHANNEL_SUFFIX, '') || 'case';
}

/** The uncompressed bytes of one file, decoded; errors say whether it was the gzip or the NIfTI inside. */
export function decodePickedFile(file: PickedFile): Volume {
  let bytes = file.bytes;
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new InputError(`${file.name} is damaged: its gzip data cannot be unpacked (${(err as Error).message}).`);
    }
  }
  try {
    return decodeNifti(bytes, file.name);
  } catch (err) {
    const reason = (err as { reason?: string }).reason ?? (err as Error).message;
    const looksNifti = NIFTI_NAME.test(file.name);
    throw new InputError(looksNifti
      ? `${file.name} cannot be read as a NIfTI image: ${reason}.`
      : `${file.name} is not a NIfTI image (.nii or .nii.gz): ${reason}.`);
  }
}

/**
 * Orders files by nnU-Net's channel suffix (_0000, _0001, ...) when every file has one and they are
 * 0..n-1; otherwise keeps the order given (a drop's order is the browser's, so the page shows the result).
 */
function channelOrder(files: readonly PickedFile[]): PickedFile[] {
  const suffixes = files.map((f) => CHANNEL_SUFFIX.exec(f.name.replace(NIFTI_NAME, ''))?.[1]);
  const numbers = suffixes.map((s) => (s === undefined ? NaN : Number(s)));
  const complete = [...numbers].sort((a, b) => a - b).every((n, i) => n === i);
  return complete ? files.map((f, i) => ({ f, n: numbers[i]! })).sort((a, b) => a.n - b.n).map((x) => x.f) : [...files];
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** What the model wants, for messages: "1 channel (MRI)", "2 channels (FLAIR, T1c)". */
export function describeChannels(channels: readonly string[]): string {
  return `${plural(channels.length, 'channel')} (${channels.join(', ')})`;
}

/**
 * The case from the picked files for a model taking `channels` (its channel names, in order): one file
 * per channel (3D each), or one 4D file with every channel. Shapes must agree between files.
 */
export function caseFromFiles(files: readonly PickedFile[], channels: readonly string[]): CaseInput {
  if (!files.length) throw new InputError('No file given: choose or drop a NIfTI image (.nii or .nii.gz).');
  const want = channels.length;
  const ordered = channelOrder(files);
  const volumes = ordered.map(decodePickedFile);
  const names = ordered.map((f) => f.name);
  const how = `give one file per channel${want > 1 ? `, or one 4D file with ${want} channels` : ''}`;

  if (volumes.length === 1) {
    const v = volumes[0]!;
    if (v.channels !== want) {
      throw new InputError(`This model takes ${describeChannels(channels)}; ${names[0]} has ${plural(v.channels, 'channel')}`
        + `${v.channels > 1 ? ` (a 4D image, ${v.shape.join('x')}x${v.channels})` : ''}: ${how}.`);
    }
    return { id: caseIdOf(names[0]!), volumes, names, assignment: channels.map((channel) => ({ channel, file: names[0]! })) };
  }
  if (volumes.length !== want) {
    throw new InputError(`This model takes ${describeChannels(channels)}; ${plural(volumes.length, 'file')} given (${names.join(', ')}): ${how}.`);
  }
  volumes.forEach((v, k) => {
    if (v.channels !== 1) throw new InputError(`${names[k]} has ${v.channels} channels; with one file per channel each file must be a 3D image.`);
    const first = volumes[0]!;
    if (v.shape.some((n, i) => n !== first.shape[i])) {
      throw new InputError(`${names[k]} is ${v.shape.join('x')} voxels but ${names[0]} is ${first.shape.join('x')}: the channels of one case must share one grid.`);
    }
  });
  return { id: caseIdOf(names[0]!), volumes, names, assignment: channels.map((channel, k) => ({ channel, file: names[k]! })) };
}
