/**
 * Serves the built web app from a folder: safe path resolution (no escaping the folder, no
 * NUL bytes, no dot-files), MIME types, caching (hashed assets under `/assets/` are immutable,
 * everything else revalidates), ETag/304, HEAD, and the single-page-app fallback: a path whose
 * last segment has no extension is answered with `index.html`. When the folder has no
 * `index.html` (the app is not built), `/` explains how to build it.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.wav': 'audio/wav',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
};

const NOT_BUILT_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Parley</title></head>
<body>
<h1>Parley is running</h1>
<p>The signaling server is up, but the web app has not been built yet.</p>
<p>Run <code>npm start</code> from the repository root: it builds the app on first run
(or build it yourself with <code>npm run build -w @parley/web</code>) and serves it here.</p>
<p>Health: <a href="/healthz">/healthz</a> · Metrics (from this host): <a href="/metrics">/metrics</a></p>
</body></html>
`;

interface Found {
  path: string;
  size: number;
  mtimeMs: number;
}

async function fileAt(path: string): Promise<Found | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? { path, size: s.size, mtimeMs: s.mtimeMs } : null;
  } catch {
    return null;
  }
}

/** Serves static files from `root` (GET and HEAD; the caller filters methods). */
export function createStaticHandler(
  root: string,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const base = resolve(root);
  return async (req, res) => {
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      return plain(res, 400, 'Bad Request');
    }
    const segments = pathname.split('/');
    if (pathname.includes('\0') || segments.some((s) => s === '..' || (s.startsWith('.') && s.length > 1))) {
      return plain(res, 404, 'Not Found');
    }
    const target = resolve(join(base, pathname));
    if (target !== base && !target.startsWith(base + sep)) return plain(res, 404, 'Not Found');

    let found = pathname.endsWith('/') ? await fileAt(join(target, 'index.html')) : await fileAt(target);
    const last = segments[segments.length - 1] ?? '';
    if (!found && extname(last) === '') {
      // Single-page app: client-side routes are answered with the app shell.
      found = await fileAt(join(base, 'index.html'));
      if (!found) return html(res, req, NOT_BUILT_HTML);
    }
    if (!found) return plain(res, 404, 'Not Found');
    return send(req, res, found, pathname.startsWith('/assets/'));
  };
}

function send(req: IncomingMessage, res: ServerResponse, f: Found, immutable: boolean): void {
  const etag = `W/"${f.size.toString(16)}-${Math.floor(f.mtimeMs).toString(16)}"`;
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (req.headers['if-none-match'] === etag) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.setHeader('Content-Type', MIME[extname(f.path).toLowerCase()] ?? 'application/octet-stream');
  res.setHeader('Content-Length', f.size);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(f.path);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

function html(res: ServerResponse, req: IncomingMessage, body: string): void {
  res.writeHead(200, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-cache',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}
