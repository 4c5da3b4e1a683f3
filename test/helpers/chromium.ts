/**
 * Debian's headless Chromium for the browser app's test, driven with playwright-core: where it is, how
 * it starts (SwiftShader stands in for the GPU, so WebGL and WebGPU exist on a machine without one),
 * and everything the page and its workers log, so that a test can assert that nothing went wrong.
 */
import { existsSync } from 'node:fs';
import { type Browser, type ConsoleMessage, type Page, chromium } from 'playwright-core';

/** scripts/setup.sh --torch-reference installs it there (Debian's chromium package); PSPSEG_CHROMIUM overrides. */
export const CHROMIUM = process.env.PSPSEG_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined
    : `no Chromium at ${CHROMIUM}: scripts/setup.sh --torch-reference (npm test) installs Debian's chromium with apt, which failed or was not run here`;
}

/** WebGPU on SwiftShader's Vulkan (correct, slow) and WebGL through ANGLE on SwiftShader (NiiVue draws with it). */
const SWIFTSHADER_ARGS = [
  '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader',
  '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: SWIFTSHADER_ARGS });
}

/** The page's and its workers' console errors and uncaught exceptions, each prefixed with where it came from. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  const onConsole = (where: string) => (m: ConsoleMessage): void => {
    if (m.type() === 'error') errors.push(`${where} console.error: ${m.text()}`);
  };
  page.on('console', onConsole('page'));
  page.on('pageerror', (e) => errors.push(`page exception: ${e.message}`));
  page.on('worker', (w) => w.on('console', onConsole(`worker ${w.url().split('/').pop()}`)));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()} for ${r.url()}`); });
  return errors;
}
