/**
 * `pspseg app`'s site: one folder with the page, onnxruntime-web's files and the model, which any
 * static web server can serve. The model is read first (a file the app could not run is refused
 * before anything is written), the site is assembled beside its destination and renamed into place,
 * so a reader never sees half a site, and a folder that is not a site we wrote is never replaced.
 */
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile, readdir } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { type DeployedModelInfo, readDeployedModel } from '../../infer/deployed_model.js';
import { ORT_FOLDER } from '../../infer/onnx_web_builds.js';
import { PAGE_FILES, builtPageDir, ortDistDir, ortFiles } from './page_files.js';

/** Marks a folder as a site `pspseg app` wrote (and may replace). */
export const SITE_MARKER = '.pspseg-app';
/** The model's name in every site; the page fetches it. */
export const SITE_MODEL = 'model.onnx';

export interface WrittenSite { dir: string; info: DeployedModelInfo; bytes: number }

/** `path/to/model.onnx` -> `path/to/model_app`. */
export function defaultSiteDir(modelPath: string): string {
  const name = basename(modelPath, extname(modelPath));
  return join(dirname(resolve(modelPath)), `${name}_app`);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** A folder we may replace: missing, empty, or written by `pspseg app` before. */
async function checkReplaceable(dir: string): Promise<void> {
  if (!(await exists(dir))) return;
  if (!(await stat(dir)).isDirectory()) throw new Error(`${dir} exists and is not a folder: choose another -o`);
  if ((await readdir(dir)).length === 0 || await exists(join(dir, SITE_MARKER))) return;
  throw new Error(`${dir} exists and is not a site 'pspseg app' wrote: choose another -o, or remove it`);
}

export async function writeSite(modelPath: string, outDir: string): Promise<WrittenSite> {
  const model = resolve(modelPath);
  const dir = resolve(outDir);
  const bytes = await readFile(model).catch((err: NodeJS.ErrnoException) => {
    throw new Error(err.code === 'ENOENT' ? `${modelPath}: no such file` : `${modelPath}: ${err.message}`);
  });
  const { info } = readDeployedModel(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), modelPath);
  const pageDir = builtPageDir();
  const ortDir = ortDistDir();
  await checkReplaceable(dir);

  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(join(tmp, ORT_FOLDER), { recursive: true });
  try {
    let total = bytes.byteLength;
    const copy = async (from: string, to: string): Promise<void> => {
      await copyFile(from, to);
      total += (await stat(to)).size;
    };
    for (const f of PAGE_FILES) await copy(join(pageDir, f), join(tmp, f));
    for (const f of ortFiles()) await copy(join(ortDir, f), join(tmp, ORT_FOLDER, f));
    await writeFile(join(tmp, SITE_MODEL), bytes);
    await writeFile(join(tmp, SITE_MARKER), `written by pspseg app from ${model}\n`);
    const old = `${dir}.old-${process.pid}`;
    if (await exists(dir)) await rename(dir, old);
    await rename(tmp, dir);
    await rm(old, { recursive: true, force: true });
    return { dir, info, bytes: total };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
