/**
 * `pspseg app`'s site and server: the files a site holds, replacing only a site written before, a
 * model refused before anything is written, the server's isolation headers and MIME types (WASM
 * threads and module workers depend on them), paths outside the site refused, `--serve` running until
 * Ctrl-C; and the browser bundle, which may hold neither libtorch's layers nor Node's modules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app } from '../src/cli/commands/app.js';
import { exportModelFolder } from '../src/infer/onnx_export.js';
import { runTraining } from '../src/train/run.js';
import { bundlePage } from '../src/cli/app/bundle_page.js';
import { PAGE_FILES, ortFiles } from '../src/cli/app/page_files.js';
import { fileFor, serveSite } from '../src/cli/app/serve_site.js';
import { SITE_MARKER, defaultSiteDir } from '../src/cli/app/write_site.js';
import { repoRoot, tempDir } from './helpers.js';
import { requireData } from './helpers/shared_data.js';
import { hippocampusSubset } from './helpers/train_data.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** Console output of a command run in-process, and its exit code. */
async function runApp(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const log = console.log, error = console.error;
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  console.error = (...a: unknown[]) => { err.push(a.join(' ')); };
  try {
    return { code: await app.run(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log; console.error = error;
  }
}

/** A GET (or other method) with the path sent as given: fetch() would normalise '..' away. */
function rawRequest(url: string, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(url);
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => ok({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', fail).end();
  });
}

test('request paths map to files inside the site only', () => {
  const root = '/srv/site';
  assert.equal(fileFor(root, '/'), '/srv/site/index.html');
  assert.equal(fileFor(root, '/ort/x.wasm?v=1#a'), '/srv/site/ort/x.wasm');
  assert.equal(fileFor(root, '/a%20b.js'), '/srv/site/a b.js');
  assert.equal(fileFor(root, '/../etc/passwd'), undefined);
  assert.equal(fileFor(root, '/%2e%2e/site2/x'), undefined);
  assert.equal(fileFor(root, '/%zz'), undefined);
});

test('the server: isolation headers on every answer, MIME types for modules and WebAssembly, 404, 405, nothing outside', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'ort'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(join(dir, 'ort', 'm.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
  writeFileSync(join(dir, 'ort', 'a.mjs'), 'export {};');
  writeFileSync(join(dir, 'app.js'), 'export {};');
  writeFileSync(join(dir, 'model.onnx'), Buffer.alloc(10));
  const served = await serveSite(dir, { port: 0 });
  t.after(() => served.close());
  assert.match(served.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);

  for (const [path, type] of [['/', 'text/html; charset=utf-8'], ['/ort/m.wasm', 'application/wasm'], ['/ort/a.mjs', 'text/javascript; charset=utf-8'],
    ['/app.js', 'text/javascript; charset=utf-8'], ['/model.onnx', 'application/octet-stream']] as const) {
    const r = await fetch(new URL(path, served.url));
    assert.equal(r.status, 200, path);
    assert.equal(r.headers.get('content-type'), type, path);
    assert.equal(r.headers.get('cross-origin-opener-policy'), 'same-origin', path);
    assert.equal(r.headers.get('cross-origin-embedder-policy'), 'require-corp', path);
  }
  assert.equal((await fetch(new URL('/ort/m.wasm', served.url))).headers.get('content-length'), '4');
  const missing = await fetch(new URL('/nothing.js', served.url));
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('cross-origin-embedder-policy'), 'require-corp');
  assert.equal((await rawRequest(served.url, '/%2e%2e/%2e%2e/etc/passwd')).status, 404);
  assert.equal((await rawRequest(served.url, '/index.html', 'POST')).status, 405);
  const head = await rawRequest(served.url, '/index.html', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');

  const port = Number(new URL(served.url).port);
  await assert.rejects(serveSite(dir, { port }), new RegExp(`^Error: port ${port} on 127\\.0\\.0\\.1 is in use: choose another with --port$`));
});

test('pspseg app: writes the site (page, onnxruntime-web, the model), replaces its own site only, refuses bad models and usage', async (t) => {
  requireData();
  const tmp = tempDir(t, 'pspseg-app-');
  const workDir = await hippocampusSubset(10);
  const run = await runTraining({
    workDir, print: () => {},
    options: { arch: 'small', name: 'app', epochs: 1, iterations: 1, 'val-iterations': 1, batch: 1, patch: [16, 16, 16], seed: 0, workers: 1, quiet: true },
  });
  const model = join(tmp, 'hippo.onnx');
  await exportModelFolder(run.outDir, model);
  assert.equal(defaultSiteDir(model), join(tmp, 'hippo_app'));

  const first = await runApp([model]);
  assert.equal(first.code, 0, first.err);
  const site = join(tmp, 'hippo_app');
  assert.match(first.out, /hippo_app\/: the browser app for small U-Net \(Hippocampus10\), \d+ MB/);
  for (const f of [...PAGE_FILES, 'model.onnx', SITE_MARKER, ...ortFiles().map((o) => `ort/${o}`)]) assert.ok(existsSync(join(site, f)), f);
  assert.deepEqual(readFileSync(join(site, 'model.onnx')), readFileSync(model));
  // the licences of what the site ships: the bundles' packages and onnxruntime-web's copied builds
  const licences = readFileSync(join(site, 'THIRD_PARTY_LICENSES.txt'), 'utf8');
  for (const pkg of ['@niivue/niivue', 'onnxruntime-web', 'fflate', 'protobufjs', 'zod']) assert.match(licences, new RegExp(`^${pkg} \\S+ \\(`, 'm'), pkg);

  // again into the same folder: replaced whole, nothing left beside it
  writeFileSync(join(site, 'stale.txt'), 'from before');
  assert.equal((await runApp([model, '-o', site])).code, 0);
  assert.ok(!existsSync(join(site, 'stale.txt')));
  assert.deepEqual(readdirSync(tmp).sort(), ['hippo.onnx', 'hippo_app']);

  const foreign = join(tmp, 'mine');
  mkdirSync(foreign);
  writeFileSync(join(foreign, 'thesis.tex'), 'precious');
  const refused = await runApp([model, '-o', foreign]);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /mine exists and is not a site 'pspseg app' wrote: choose another -o, or remove it/);
  assert.equal(readFileSync(join(foreign, 'thesis.tex'), 'utf8'), 'precious');

  const notModel = join(tmp, 'scan.onnx');
  writeFileSync(notModel, 'not a model');
  const bad = await runApp([notModel, '-o', join(tmp, 'bad_site')]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^pspseg app: .*scan\.onnx: /);
  assert.ok(!existsSync(join(tmp, 'bad_site')), 'nothing written for a model the app cannot run');
  assert.match((await runApp([join(tmp, 'none.onnx')])).err, /none\.onnx: no such file/);
  const usage = await runApp([model, '--port', '9000']);
  assert.equal(usage.code, 2);
  assert.match(usage.err, /--port and --host go with --serve/);

  // --serve: prints the URL, serves with the headers, stops on Ctrl-C with exit code 0
  const child = spawn(process.execPath, [CLI, 'app', model, '-o', site, '--serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  let out = '';
  const url = await new Promise<string>((ok, fail) => {
    child.stdout.setEncoding('utf8').on('data', (c: string) => { out += c; const m = /serving on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out); if (m) ok(m[1]!); });
    child.on('exit', (code) => fail(new Error(`pspseg app --serve exited (${code}) before serving: ${out}`)));
  });
  const page = await fetch(url);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<script type="module" src="app.js">/);
  assert.equal(page.headers.get('cross-origin-embedder-policy'), 'require-corp');
  assert.equal((await fetch(new URL('ort/ort-wasm-simd-threaded.wasm', url))).headers.get('content-type'), 'application/wasm');
  const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
  child.kill('SIGINT');
  assert.equal(await exited, 0);
});

test('the browser bundle holds all of src/web, no libtorch layer and no Node module; the build refuses either', async (t) => {
  const inputs = JSON.parse(readFileSync(join(repoRoot, 'dist', 'web', 'bundle-inputs.json'), 'utf8')) as string[];
  assert.ok(inputs.includes('src/web/main.ts') && inputs.includes('src/web/inference_worker.ts') && inputs.includes('src/infer/segment.ts'), 'the bundle is the page and the inference');
  assert.deepEqual(inputs.filter((p) => /^src\/(tensor|native)\//.test(p)), []);
  // src/web is browser code only: every file of it with code is in the bundle, so the bundle's guard covers
  // all of it (a file of types alone compiles to nothing and can import nothing)
  const typesOnly = (f: string): boolean => readFileSync(join(repoRoot, 'dist', f.replace(/\.ts$/, '.js')), 'utf8')
    .replace(/\/\/# sourceMappingURL=.*$/m, '').replace('export {};', '').trim() === '';
  const web = readdirSync(join(repoRoot, 'src', 'web')).filter((f) => f.endsWith('.ts')).map((f) => `src/web/${f}`);
  assert.ok(web.length > 10 && typesOnly('src/web/worker_protocol.ts') && !typesOnly('src/web/main.ts'));
  assert.deepEqual(web.filter((f) => !typesOnly(f) && !inputs.includes(f)), [], 'src/web files with code that the browser bundle does not hold');

  // The guard itself, on a copy of the sources whose page imports what it may not.
  const root = tempDir(t, 'pspseg-bundle-');
  cpSync(join(repoRoot, 'src'), join(root, 'src'), { recursive: true });
  symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'));
  const main = join(root, 'src', 'web', 'main.ts');
  const original = readFileSync(main, 'utf8');
  writeFileSync(main, `import '../tensor/index.js';\n${original}`);
  await assert.rejects(bundlePage(root, join(root, 'out')), /the browser bundle would load libtorch code: src\/web\/main\.ts imports src\/tensor\/index\.ts/);
  writeFileSync(main, `import { readFileSync } from 'node:fs';\nconsole.log(readFileSync);\n${original}`);
  await assert.rejects(bundlePage(root, join(root, 'out')), /browser code may not import node:fs \(a Node module\): src\/web\/main\.ts imports it/);
  assert.ok(!existsSync(join(root, 'out')), 'a failed bundle leaves nothing');
});
