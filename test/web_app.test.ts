/**
 * The browser app end to end, in a real browser: a PSP-Seg S fold trained for a few steps on ten
 * hippocampus cases is exported to ONNX, `pspseg app` writes its site, the site's server (COOP/COEP)
 * serves it on 127.0.0.1, and Debian's headless Chromium opens the page, is given a hippocampus scan
 * through the file input, segments it with onnxruntime-web's WASM on every core, and saves the label
 * map. Checked: the saved map is on the scan's grid and agrees with `pspseg predict` (libtorch) on at
 * least 99.99% of voxels; the volumes the page shows are the saved map's; the page ran with as many
 * threads as the browser has cores (cross-origin isolated); bad input (not NIfTI, a wrong channel
 * count) and a model the page cannot run each get their message in the page; nothing was logged as an
 * error. A screenshot of the result is saved to test/output/web_app.png.
 *
 * WebGPU runs here on SwiftShader (the CPU), correct but about a minute per network pass: the WebGPU
 * check (one pass, no mirroring, against `pspseg predict --no-tta`) runs with PSPSEG_TEST_WEBGPU=1.
 */
import { type TestContext, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { decodeNifti } from '../src/io/nifti_codec.js';
import type { Volume } from '../src/io/volume.js';
import { readNifti } from '../src/io/nifti.js';
import { exportModelFolder } from '../src/infer/onnx_export.js';
import { predict } from '../src/cli/commands/predict.js';
import { runTraining } from '../src/train/run.js';
import { type WrittenSite, writeSite } from '../src/cli/app/write_site.js';
import { type ServedSite, serveSite } from '../src/cli/app/serve_site.js';
import { formatMillilitres } from '../src/web/label_volumes.js';
import { repoRoot } from './helpers.js';
import { chromiumMissing, collectErrors, launchChromium } from './helpers/chromium.js';
import { FIXTURES_DIR, HIPPOCAMPUS_DIR, requireData } from './helpers/shared_data.js';
import { hippocampusSubset } from './helpers/train_data.js';

const CASE = 'hippocampus_367';
const SCREENSHOT = join(repoRoot, 'test', 'output', 'web_app.png');

type State = 'loading' | 'ready' | 'reading' | 'segmenting' | 'done' | 'error';
const state = (page: Page): Promise<string | undefined> => page.evaluate(() => document.body.dataset.state);
async function waitForState(page: Page, states: State[], timeout = 120_000): Promise<string> {
  await page.waitForFunction((s: string[]) => s.includes(document.body.dataset.state ?? ''), states, { timeout });
  return (await state(page))!;
}
const alertText = (page: Page): Promise<string> => page.locator('#alert').innerText();

const count = (data: ArrayLike<number | bigint>, value: number): number => {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (Number(data[i]) === value) n++;
  return n;
};

function agreement(a: Volume, b: Volume): number {
  let same = 0;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] === b.data[i]) same++;
  return same / a.data.length;
}

interface Prepared { tmp: string; image: string; fold: string; site: WrittenSite; served: ServedSite; browser: Browser; reference: Volume }

let prepared: Promise<Prepared> | undefined;
/** Undone when the file's tests are done (after() inside a test would run when that test ends). */
const cleanups: (() => unknown)[] = [];
after(async () => { for (const undo of cleanups.reverse()) await undo(); });

/**
 * Once per file: a model, its site served, Chromium, and pspseg predict's label map of the case. The model
 * is PSP-Seg S at a patch that covers a hippocampus scan in one window, trained for 16 steps with AdamW,
 * which is enough to segment some of both labels (with SGD's start it says background everywhere, and an
 * all-background map would agree with anything that outputs nothing).
 */
function prepare(): Promise<Prepared> {
  prepared ??= (async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'pspseg-web-'));
    cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
    const image = join(HIPPOCAMPUS_DIR, 'imagesTr', `${CASE}.nii.gz`);
    const workDir = await hippocampusSubset(10);
    const run = await runTraining({
      workDir, print: () => {},
      options: {
        arch: 'psp', variant: 'S', name: 'web', epochs: 2, iterations: 8, 'val-iterations': 1, batch: 2, patch: [48, 64, 48],
        optimizer: 'adamw', lr: 3e-3, seed: 0, workers: 1, quiet: true,
      },
    });
    const modelFile = join(tmp, 'hippocampus.onnx');
    await exportModelFolder(run.outDir, modelFile);
    assert.equal(await predict.run(['-i', image, '-o', join(tmp, 'predicted'), '-m', run.outDir, '--quiet']), 0);
    const reference = await readNifti(join(tmp, 'predicted', `${CASE}.nii.gz`));
    for (const value of [1, 2]) assert.ok(count(reference.data, value) >= 100, `pspseg predict's map has label ${value} (the comparison needs more than background)`);
    const site = await writeSite(modelFile, join(tmp, 'site'));
    const served = await serveSite(site.dir, { port: 0 });
    cleanups.push(() => served.close());
    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    return { tmp, image, fold: run.outDir, site, served, browser, reference };
  })();
  return prepared;
}

/** Clicks Save and reads the label map the page gives. */
async function savedLabelMap(page: Page, dir: string): Promise<Volume> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
  assert.equal(download.suggestedFilename(), `${CASE}_seg.nii.gz`);
  const file = join(dir, `${Date.now()}_${download.suggestedFilename()}`);
  await download.saveAs(file);
  return decodeNifti(gunzipSync(readFileSync(file)), file);
}

test('pspseg app in Chromium: a hippocampus scan segmented with WASM agrees with pspseg predict; bad input and a bad model are told in the page', async (t) => {
  const missing = chromiumMissing();
  if (missing) { t.skip(missing); return; }
  requireData();
  const { tmp, image, site, served, browser, reference } = await prepare();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  const errors = collectErrors(page);

  await page.goto(served.url);
  assert.equal(await waitForState(page, ['ready', 'error'], 30_000), 'ready', await alertText(page));
  const card = await page.locator('#model-card').innerText();
  assert.match(card, /PSP-Seg S/);
  assert.match(card, new RegExp(site.info.network.parameters.toLocaleString('en-US')), 'the parameter count');
  assert.match(card, /Hippocampus10, 10 cases; cross-validation fold 0/);

  // Bad input first: each is told in the page, and the page takes the next file.
  await page.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image at all, but long enough to hold a header '.repeat(10)) });
  assert.equal(await waitForState(page, ['error']), 'error');
  assert.match(await alertText(page), /^notes\.txt is not a NIfTI image \(\.nii or \.nii\.gz\): not a NIfTI file: sizeof_hdr is/);
  await page.setInputFiles('#file', join(FIXTURES_DIR, 'nifti1_4d_int16.nii.gz'));
  assert.equal(await waitForState(page, ['error']), 'error');
  assert.match(await alertText(page), /^This model takes 1 channel \(MRI\); nifti1_4d_int16\.nii\.gz has 3 channels \(a 4D image, 5x4x3x3\)/);

  // The scan, as the page chooses: WASM, since SwiftShader's WebGPU adapter is a software one (or there is none).
  assert.match(await page.locator('#backend-plan').innerText(), /^Will run on WASM, \d+ threads?\. This browser('s WebGPU runs on the CPU| offers no WebGPU adapter)/);
  const started = Date.now();
  await page.setInputFiles('#file', image);
  assert.equal(await waitForState(page, ['done', 'error']), 'done', await alertText(page));
  const seconds = (Date.now() - started) / 1000;
  assert.equal(await page.locator('#alert').isVisible(), false, 'no message left after a good scan');
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'the server isolates the page (COOP/COEP)');
  assert.equal(await page.locator("#run-backend").innerText(), `Ran on WASM, ${cores} thread${cores > 1 ? 's' : ''}`);
  t.diagnostic(`segmented in Chromium with WASM, ${cores} threads: ${seconds.toFixed(1)} s (${await page.locator('#run-status').innerText()})`);

  const saved = await savedLabelMap(page, tmp);
  assert.equal(saved.datatype, 'uint8');
  assert.deepEqual(saved.shape, reference.shape);
  assert.deepEqual(saved.affine, reference.affine);
  const agreed = agreement(saved, reference);
  t.diagnostic(`agreement with pspseg predict: ${(100 * agreed).toFixed(4)}% of ${saved.data.length} voxels`);
  assert.ok(agreed >= 0.9999, `the browser's label map agrees with pspseg predict's on ${(100 * agreed).toFixed(4)}% of voxels`);
  // the crosshair was moved onto the segmentation: the line under the viewer names a label there
  assert.match(await page.locator('#location').innerText(), /^voxel \d+, \d+, \d+ \u00b7 .* mm \u00b7 intensity [\d.]+ \u00b7 (Anterior|Posterior)$/);

  // The volumes shown are the saved map's.
  const voxelMl = saved.spacing[0] * saved.spacing[1] * saved.spacing[2] / 1000;
  for (const l of site.info.labels.slice(1)) {
    const n = count(saved.data, l.value);
    const shown = await page.locator(`#label-rows tr[data-label="${l.value}"] td.num`).innerText();
    assert.equal(shown, formatMillilitres(n * voxelMl), `${l.name}'s volume`);
  }

  mkdirSync(join(repoRoot, 'test', 'output'), { recursive: true });
  await page.waitForTimeout(300); // NiiVue draws on the next frame
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  t.diagnostic(`screenshot: ${SCREENSHOT}`);

  // Hiding a label and the opacity slider change the picture, not the label map.
  const picture = (): Promise<Buffer> => page.waitForTimeout(200).then(() => page.locator('#viewer').screenshot());
  const shown = await picture();
  await page.uncheck('#label-rows tr[data-label="1"] input');
  const hidden = await picture();
  assert.notDeepEqual(hidden, shown, 'hiding Anterior changes the picture');
  await page.check('#label-rows tr[data-label="1"] input');
  await page.locator('#opacity').fill('0');
  assert.notDeepEqual(await picture(), shown, 'opacity 0 changes the picture');
  await page.locator('#opacity').fill('0.6');
  assert.deepEqual([...(await savedLabelMap(page, tmp)).data], [...saved.data], 'what is shown never changes what is saved');

  // Another case: the page takes it with the session it has, and saves it under its own name.
  const second = 'hippocampus_004';
  await page.setInputFiles('#file', join(HIPPOCAMPUS_DIR, 'imagesTr', `${second}.nii.gz`));
  assert.equal(await waitForState(page, ['done', 'error']), 'done', await alertText(page));
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
  assert.equal(download.suggestedFilename(), `${second}_seg.nii.gz`);
  assert.deepEqual(errors, [], 'the page logged no error');

  // A model file the page cannot run: said in the page, not a blank screen.
  const broken = join(tmp, 'broken_site');
  cpSync(site.dir, broken, { recursive: true });
  writeFileSync(join(broken, 'model.onnx'), readFileSync(join(FIXTURES_DIR, 'nifti1_int64.nii')));
  const brokenServed = await serveSite(broken, { port: 0 });
  t.after(() => brokenServed.close());
  const page2 = await browser.newPage();
  await page2.goto(brokenServed.url);
  assert.equal(await waitForState(page2, ['ready', 'error'], 30_000), 'error');
  assert.match(await alertText(page2), /^model\.onnx is not a pspseg model this page can run: /);
});

test('pspseg app in Chromium on WebGPU (SwiftShader): one pass without mirroring agrees with pspseg predict --no-tta', {
  skip: process.env.PSPSEG_TEST_WEBGPU ? false : 'about 2 minutes on SwiftShader: set PSPSEG_TEST_WEBGPU=1 to run it',
}, async (t: TestContext) => {
  const missing = chromiumMissing();
  if (missing) { t.skip(missing); return; }
  requireData();
  const { tmp, image, fold, served, browser } = await prepare();
  assert.equal(await predict.run(['-i', image, '-o', join(tmp, 'predicted_no_tta'), '-m', fold, '--no-tta', '--quiet']), 0);
  const reference = await readNifti(join(tmp, 'predicted_no_tta', `${CASE}.nii.gz`));
  const page = await browser.newPage({ acceptDownloads: true });
  const errors = collectErrors(page);
  await page.goto(served.url);
  assert.equal(await waitForState(page, ['ready', 'error'], 30_000), 'ready', await alertText(page));
  assert.equal(await page.evaluate(async () => (await (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter()) != null), true,
    'Chromium offers a WebGPU adapter (SwiftShader)');
  await page.selectOption('#backend', 'webgpu');
  await page.uncheck('#tta');
  const started = Date.now();
  await page.setInputFiles('#file', image);
  assert.equal(await waitForState(page, ['done', 'error'], 600_000), 'done', await alertText(page));
  assert.match(await page.locator('#run-backend').innerText(), /^Ran on WebGPU$/);
  assert.doesNotMatch(await page.locator('#run-note').innerText(), /instead/, 'no fallback to WASM');
  t.diagnostic(`segmented in Chromium with WebGPU on SwiftShader: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const agreed = agreement(await savedLabelMap(page, tmp), reference);
  t.diagnostic(`agreement with pspseg predict --no-tta: ${(100 * agreed).toFixed(4)}%`);
  assert.ok(agreed >= 0.9999, `WebGPU's label map agrees with pspseg predict's on ${(100 * agreed).toFixed(4)}% of voxels`);
  assert.deepEqual(errors, []);
  await page.close();
});
