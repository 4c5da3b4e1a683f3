/**
 * Builds the browser app's page into dist/web with esbuild: the page script (app.js) and the inference
 * worker (inference_worker.js), each one ES module for the browser, with index.html and style.css
 * beside them. The build's setup script runs it (`node dist/src/cli/app/bundle_page.js`) after tsc,
 * so `pspseg app` only copies files and needs no bundler. The bundle refuses code the browser must
 * never load, naming the file that imports it: libtorch's layers (src/tensor, src/native) and Node's
 * modules.
 */
import { copyFileSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Plugin, build } from 'esbuild';

/** Source folders the browser bundle may not contain (they load libtorch). */
export const NOT_IN_BROWSER = ['src/tensor', 'src/native'];

const NODE_MODULE = new RegExp(`^(node:|(${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})(/|$))`);

/** Stops the build at an import the browser may not have, with the importing file in the message. */
function browserOnly(root: string): Plugin {
  const rel = (p: string): string => relative(root, p).split(sep).join('/');
  const forbidden = NOT_IN_BROWSER.map((d) => join(root, d) + sep);
  return {
    name: 'browser-only',
    setup(b) {
      b.onResolve({ filter: NODE_MODULE }, (a) => ({
        errors: [{ text: `browser code may not import ${a.path} (a Node module): ${rel(a.importer)} imports it` }],
      }));
      b.onResolve({ filter: /^\./ }, (a) => {
        const target = resolve(a.resolveDir, a.path);
        if (!forbidden.some((d) => target.startsWith(d))) return undefined;
        return { errors: [{ text: `the browser bundle would load libtorch code: ${rel(a.importer)} imports ${rel(target).replace(/\.js$/, '.ts')} (browser code may not import src/tensor or src/native)` }] };
      });
    },
  };
}

/** The licences of the packages the site ships (the bundles' and onnxruntime-web's copied files), one text. */
export const THIRD_PARTY_LICENSES = 'THIRD_PARTY_LICENSES.txt';

/** npm packages among the bundles' inputs ('node_modules/@niivue/niivue/...' -> '@niivue/niivue'). */
export function bundledPackages(inputs: readonly string[]): string[] {
  const names = inputs.flatMap((p) => /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(p)?.[1] ?? []);
  return [...new Set(names)].sort();
}

function thirdPartyLicenses(root: string, packages: readonly string[]): string {
  const sections = packages.map((name) => {
    const dir = join(root, 'node_modules', name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string; license?: string };
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
    const text = file ? readFileSync(join(dir, file), 'utf8').trim() : `(no licence file in the package; package.json says: ${pkg.license ?? 'nothing'})`;
    return `${name} ${pkg.version ?? ''} (${pkg.license ?? 'licence not stated'})\n${'-'.repeat(72)}\n${text}\n`;
  });
  return `The pspseg browser app ships code from these packages, under their licences.\n\n${sections.join('\n')}`;
}

export interface PageBundle {
  dir: string;
  /** Every source file in the bundles, relative to the package root ('src/io/nifti_codec.ts', 'node_modules/...'). */
  inputs: string[];
}

/** Bundles the page of the package at `root` into `outDir` (whole or not at all: built beside it, then renamed). */
export async function bundlePage(root: string, outDir = join(root, 'dist', 'web')): Promise<PageBundle> {
  const pageDir = join(root, 'src', 'web');
  const tmp = `${outDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const result = await build({
      absWorkingDir: root,
      entryPoints: { app: join(pageDir, 'main.ts'), inference_worker: join(pageDir, 'inference_worker.ts') },
      outdir: tmp,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      // WebGPU-era browsers; top-level await and BigInt64Array everywhere
      target: ['chrome113', 'firefox121', 'safari17'],
      minify: true,
      sourcemap: 'external', // maps stay in dist/web for developers; the site references none it does not hold
      metafile: true,
      logLevel: 'silent',
      legalComments: 'linked',
      plugins: [browserOnly(root)],
    });
    const inputs = Object.keys(result.metafile.inputs).map((p) => relative(root, resolve(root, p)).split(sep).join('/')).sort();
    for (const f of ['index.html', 'style.css']) copyFileSync(join(pageDir, f), join(tmp, f));
    writeFileSync(join(tmp, 'bundle-inputs.json'), `${JSON.stringify(inputs, null, 1)}\n`);
    writeFileSync(join(tmp, THIRD_PARTY_LICENSES), thirdPartyLicenses(root, [...bundledPackages(inputs), 'onnxruntime-web']));
    rmSync(outDir, { recursive: true, force: true });
    renameSync(tmp, outDir);
    return { dir: outDir, inputs };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

// Run as a script by scripts/setup.sh: bundle, or say why not and fail the build.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = resolve(process.argv[2] ?? '.');
  bundlePage(root).then(
    (b) => console.error(`[setup] browser app: ${b.inputs.length} source files bundled into ${relative(root, b.dir)}/`),
    (err: Error & { errors?: { text: string; location?: { file: string; line: number } | null }[] }) => {
      const lines = err.errors?.map((e) => `  ${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`) ?? [];
      console.error(`[setup] the browser app does not bundle: ${lines.length ? `\n${lines.join('\n')}` : err.message}`);
      process.exit(1);
    },
  );
}
