/**
 * Where the browser app's files are on this machine: the page bundle that the build makes (dist/web:
 * app.js, inference_worker.js, index.html, style.css) and onnxruntime-web's own files, which the site
 * copies as they are (src/infer/onnx_web_builds.ts says which).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { ORT_BUILDS } from '../../infer/onnx_web_builds.js';
import { packageRoot } from '../../util/package_root.js';

/** The page bundle's folder (the build writes it; `pspseg app` copies it). */
export function pageBundleDir(): string {
  return join(packageRoot(), 'dist', 'web');
}

/** The page's files in the bundle folder, each copied into every site. */
export const PAGE_FILES = ['index.html', 'style.css', 'app.js', 'inference_worker.js', 'THIRD_PARTY_LICENSES.txt'] as const;

/** The folder of onnxruntime-web's build files, found through the package's own exports. */
export function ortDistDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
}

/** Every onnxruntime-web file a site serves, once each. */
export function ortFiles(): string[] {
  return [...new Set(Object.values(ORT_BUILDS).flatMap((b) => b.files))];
}

/** The bundle folder, checked: every page file there, or an error saying how to make them. */
export function builtPageDir(): string {
  const dir = pageBundleDir();
  const missing = PAGE_FILES.filter((f) => !existsSync(join(dir, f)));
  if (missing.length) throw new Error(`the browser app is not built (${missing.join(', ')} missing in ${dir}): run 'npm run build'`);
  return resolve(dir);
}
