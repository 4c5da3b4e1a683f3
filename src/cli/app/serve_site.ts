/**
 * Serves a site folder over HTTP for the browser app, with what the app needs from a server: the
 * cross-origin isolation headers (without them SharedArrayBuffer does not exist and onnxruntime-web's
 * WASM silently runs one thread), the MIME types browsers insist on for modules and WebAssembly, and
 * no caching (a site rewritten for another model must not run the old one). GET and HEAD only; paths
 * outside the folder are refused.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

export const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

/** Headers on every answer: cross-origin isolated, so WASM threads and SharedArrayBuffer work. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export interface ServedSite { url: string; server: Server; close(): Promise<void> }

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...ISOLATION_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`${text}\n`);
}

/** The file a request path names inside `root`, or undefined for one outside it. */
export function fileFor(root: string, urlPath: string): string | undefined {
  let path: string;
  try { path = decodeURIComponent(urlPath.split('?')[0]!.split('#')[0]!); } catch { return undefined; }
  if (path.includes('\0')) return undefined;
  const file = resolve(join(root, path.endsWith('/') ? `${path}index.html` : path));
  return file === root || file.startsWith(root + sep) ? file : undefined;
}

async function handle(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') { answer(res, 405, 'only GET and HEAD'); return; }
  const file = fileFor(root, req.url ?? '/');
  const info = file ? await stat(file).catch(() => undefined) : undefined;
  if (!file || !info?.isFile()) { answer(res, 404, 'not found'); return; }
  res.writeHead(200, {
    ...ISOLATION_HEADERS,
    'Content-Type': MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': info.size,
    'Cache-Control': 'no-cache',
  });
  if (req.method === 'HEAD') { res.end(); return; }
  createReadStream(file).on('error', () => res.destroy()).pipe(res);
}

/** Serves `dir` on host:port (port 0: any free port); resolves once listening. */
export async function serveSite(dir: string, o: { host?: string; port?: number } = {}): Promise<ServedSite> {
  const root = resolve(dir);
  const host = o.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    handle(root, req, res).catch((err: Error) => { if (!res.headersSent) answer(res, 500, err.message); else res.destroy(); });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) => fail(new Error(err.code === 'EADDRINUSE'
      ? `port ${o.port} on ${host} is in use: choose another with --port` : `cannot listen on ${host}:${o.port}: ${err.message}`)));
    server.listen(o.port ?? 8000, host, () => ok());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    server,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}
