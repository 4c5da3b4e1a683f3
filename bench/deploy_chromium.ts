/**
 * bench:deploy's browser rows: the browser app's page (`pspseg app`'s site, served as `--serve` serves it)
 * in Debian's headless Chromium, each case given through the page's file input and saved with its Save
 * button, as a user does. The time is the page's own (segmentVolumes in the inference worker, read from
 * `document.body.dataset.seconds`), comparable with the other engines' rows; labels come from the saved
 * file. WASM runs with the browser's cores (2 here); WebGPU only on a hardware adapter: SwiftShader's
 * (the CPU) takes about a minute per network pass, which is no speed worth a row (test/web_app.test.ts
 * checks its labels with PSPSEG_TEST_WEBGPU=1). BENCH_CHROMIUM=0 leaves the browser out.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { serveSite } from '../src/cli/app/serve_site.js';
import { writeSite } from '../src/cli/app/write_site.js';
import { decodeNifti } from '../src/io/nifti_codec.js';
import { chromiumMissing, collectErrors, launchChromium } from '../test/helpers/chromium.js';
import type { BenchCase, CaseTiming } from './deploy_engines.js';

export type ChromiumEngine = 'chromium_wasm_2t' | 'chromium_webgpu';
export type ChromiumResult = { engine: ChromiumEngine; name: string; timings: CaseTiming[] } | { engine: ChromiumEngine; name: string; reason: string };

async function waitFor(page: Page, states: string[]): Promise<string> {
  await page.waitForFunction((s: string[]) => s.includes(document.body.dataset.state ?? ''), states, { timeout: 600_000 });
  return page.evaluate(() => document.body.dataset.state ?? '');
}

/** One case through the page: its files in, the result saved; the page's seconds and the saved labels. */
async function segmentInPage(page: Page, c: BenchCase, tta: boolean, scratch: string): Promise<CaseTiming> {
  await page.setChecked('#tta', tta);
  await page.setInputFiles('#file', c.files);
  if (await waitFor(page, ['done', 'error']) !== 'done') throw new Error(`${c.id}: ${await page.locator('#alert').innerText()}`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
  const file = join(scratch, `${c.id}_${tta ? 'tta' : 'plain'}_seg.nii.gz`);
  await download.saveAs(file);
  const seconds = Number(await page.evaluate(() => document.body.dataset.seconds));
  const status = await page.locator('#run-status').innerText();
  const windows = Number(/\((\d+) windows?/.exec(status)?.[1] ?? NaN);
  return { id: c.id, tta, seconds, windows, labels: decodeNifti(gunzipSync(readFileSync(file)), file).data as Uint8Array };
}

export async function chromiumTimings(model: string, cases: BenchCase[], scratch: string): Promise<ChromiumResult[]> {
  const wasmName = 'Chromium wasm (2 threads)', gpuName = 'Chromium WebGPU';
  const skipAll = (reason: string): ChromiumResult[] => [
    { engine: 'chromium_wasm_2t', name: wasmName, reason }, { engine: 'chromium_webgpu', name: gpuName, reason },
  ];
  if (process.env.BENCH_CHROMIUM === '0') return skipAll('BENCH_CHROMIUM=0');
  const missing = chromiumMissing();
  if (missing) return skipAll(missing);

  const site = await writeSite(model, join(scratch, 'chromium_site'));
  const served = await serveSite(site.dir, { port: 0 });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ acceptDownloads: true });
    const errors = collectErrors(page);
    await page.goto(served.url);
    if (await waitFor(page, ['ready', 'error']) !== 'ready') return skipAll(await page.locator('#alert').innerText());
    const adapter = await page.evaluate(async () => {
      const a = await (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: { isFallbackAdapter?: boolean } } | null> } }).gpu?.requestAdapter();
      return a ? (a.info?.isFallbackAdapter ? 'software' : 'hardware') : 'none';
    });
    const threads = await page.evaluate(() => navigator.hardwareConcurrency);
    const run = async (backend: 'wasm' | 'webgpu'): Promise<CaseTiming[]> => {
      await page.selectOption('#backend', backend);
      if (cases.length) await segmentInPage(page, cases[0]!, false, scratch); // warm-up, untimed: the session is made on first use
      const out: CaseTiming[] = [];
      for (const c of cases) for (const tta of [false, true]) out.push(await segmentInPage(page, c, tta, scratch));
      return out;
    };
    const results: ChromiumResult[] = [{ engine: 'chromium_wasm_2t', name: `Chromium wasm (${threads} threads)`, timings: await run('wasm') }];
    if (adapter === 'hardware') results.push({ engine: 'chromium_webgpu', name: gpuName, timings: await run('webgpu') });
    else results.push({ engine: 'chromium_webgpu', name: gpuName, reason: adapter === 'none' ? 'Chromium has no WebGPU adapter here' : "Chromium's WebGPU adapter here is SwiftShader (the CPU): about a minute per network pass" });
    if (errors.length) throw new Error(`the page logged errors: ${errors.join('; ')}`);
    return results;
  } finally {
    await browser.close();
    await served.close();
  }
}
