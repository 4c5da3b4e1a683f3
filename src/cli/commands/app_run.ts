/** `pspseg app` at work (loaded when the command runs). */
import { relative } from 'node:path';
import { defaultSiteDir, writeSite } from '../app/write_site.js';
import { serveSite } from '../app/serve_site.js';

export interface AppRequest { model: string; output?: string; serve: boolean; port: number; host: string }

const megabytes = (n: number): string => `${(n / 2 ** 20).toFixed(0)} MB`;

export async function runApp(o: AppRequest): Promise<number> {
  const site = await writeSite(o.model, o.output ?? defaultSiteDir(o.model));
  const shown = relative(process.cwd(), site.dir) || '.';
  const n = site.info.network;
  console.log(`${shown}/: the browser app for ${n.name} (${site.info.dataset.name}), ${megabytes(site.bytes)}`);
  if (!o.serve) {
    console.log(`serve it with: npx pspseg app ${o.model} --serve   (or any web server; browsers refuse file:// pages)`);
    return 0;
  }
  const served = await serveSite(site.dir, { host: o.host, port: o.port });
  console.log(`serving on ${served.url}  (Ctrl-C stops)`);
  await new Promise<void>((done) => {
    const stop = (): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); void served.close().then(done); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
