/**
 * Serves the built web app from a folder: safe path resolution (no escaping the folder, no
 * NUL bytes, no dot-files), MIME types, caching (hashed assets under `/assets/` are immutable,
 * everything else revalidates), ETag/304, HEAD, and the single-page-app fallback: a path whose
 * last segment has no extension is answered with `index.html`. When the folder has no
 * `index.html` (the app is not built), `/` explains how to build it.
 *
 * Text files go out brotli- or gzip-compressed when the request's `Accept-Encoding` takes it
 * (accept-encoding.ts), from the build's precompressed copies or compressed once in memory
 * (compressed-copies.ts), always with `Vary: Accept-Encoding` so that no cache hands one
 * client's encoding to another. The copies themselves (`app.js.br`) are not served by their own
 * names, and source maps (`.map`) only with `serveSourceMaps` (PARLEY_SERVE_SOURCE_MAPS).
 * Ranges are not supported: a `Range` header gets the whole file (200), as RFC 9110 allows.
 *
 * May import: node builtins, ./accept-encoding.ts, ./compressed-copies.ts.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { chooseEncoding, ENCODINGS } from './accept-encoding.ts';
import { CompressedCopies, type CompressedCopiesOptions, type Copy, SUFFIX } from './compressed-copies.ts';

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

/** Types worth compressing (text; images, fonts and media are compressed already). */
const COMPRESSIBLE = new Set([
  '.html',
  '.js',
  '.mjs',
  '.css',
  '.json',
  '.map',
  '.webmanifest',
  '.svg',
  '.txt',
  '.wasm',
  '.ico',
]);

/** Suffixes of the stored compressed copies, refused as names of their own. */
const COPY_SUFFIXES = Object.values(SUFFIX);

export interface StaticOptions extends CompressedCopiesOptions {
  /** Serve `.map` files (default false: 404, as if absent). */
  serveSourceMaps?: boolean;
}

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
  options: StaticOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const base = resolve(root);
  const copies = new CompressedCopies(options);
  const serveSourceMaps = options.serveSourceMaps ?? false;
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

    const last = segments[segments.length - 1] ?? '';
    const ext = extname(last).toLowerCase();
    if (ext === '.map' && !serveSourceMaps) return plain(res, 404, 'Not Found');
    // A stored compressed copy is reached only through content negotiation on its file.
    const suffix = COPY_SUFFIXES.find((x) => ext === x);
    if (suffix && (await fileAt(target.slice(0, -suffix.length)))) return plain(res, 404, 'Not Found');

    let found = pathname.endsWith('/') ? await fileAt(join(target, 'index.html')) : await fileAt(target);
    if (!found && ext === '') {
      // Single-page app: client-side routes are answered with the app shell.
      found = await fileAt(join(base, 'index.html'));
      if (!found) return html(res, req, NOT_BUILT_HTML);
    }
    if (!found) return plain(res, 404, 'Not Found');
    const type = extname(found.path).toLowerCase();
    let copy: Copy = { path: found.path, size: found.size };
    let encoding: string = 'identity';
    if (COMPRESSIBLE.has(type)) {
      res.setHeader('Vary', 'Accept-Encoding');
      const chosen = chooseEncoding(req.headers['accept-encoding'], ENCODINGS);
      const compressed = chosen === 'identity' ? null : await copies.get(found, chosen);
      if (compressed) {
        copy = compressed;
        encoding = chosen;
      }
    }
    return send(req, res, { found, copy, encoding, immutable: pathname.startsWith('/assets/') });
  };
}

interface Reply {
  found: Found;
  /** What goes on the wire: the file itself or one of its compressed copies. */
  copy: Copy;
  encoding: string;
  immutable: boolean;
}

function send(req: IncomingMessage, res: ServerResponse, { found, copy, encoding, immutable }: Reply): void {
  // One ETag per representation: the same file's brotli and gzip copies are different bytes.
  const tag = `${found.size.toString(16)}-${Math.floor(found.mtimeMs).toString(16)}`;
  const etag = `W/"${encoding === 'identity' ? tag : `${tag}-${encoding}`}"`;
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (matchesEtag(req.headers['if-none-match'], etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.setHeader('Content-Type', MIME[extname(found.path).toLowerCase()] ?? 'application/octet-stream');
  if (encoding !== 'identity') res.setHeader('Content-Encoding', encoding);
  res.setHeader('Content-Length', copy.size);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  if ('body' in copy) {
    res.end(copy.body);
    return;
  }
  const stream = createReadStream(copy.path);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/** `If-None-Match`: `*` or a list of tags, compared weakly (RFC 9110 §13.1.2). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const bare = etag.replace(/^W\//, '');
  return header
    .slice(0, 4096)
    .split(',')
    .some((t) => {
      const tag = t.trim();
      return tag === '*' || tag.replace(/^W\//, '') === bare;
    });
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
