/**
 * The operator's HTTP face of recordings, behind `PARLEY_RECORDINGS_TOKEN`
 * (`Authorization: Bearer <token>`): `GET /recordings` lists them, `GET|HEAD
 * /recordings/<id>/<file>` downloads one file (`composite.webm` or `.mp4`, or `tracks/<name>`, one byte
 * range at most), `DELETE /recordings/<id>` deletes one. Without a token configured every such
 * path answers 404; a missing or wrong token 401. Ids and file names are checked by the store
 * (fixed patterns, only files its manifest lists), so no path leaves the recordings folder.
 *
 * A download may instead carry a signed link's `?exp=…&sig=…` (recording-links.ts; hosts get
 * them when processing is done): then no token is needed, only GET and HEAD, and a bad, expired
 * or foreign signature answers 403, also when no operator token is configured.
 *
 * May import: Node, recording-links.ts, and the store's shape (declared here; recording/ sits
 * above this layer).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RecordingLinks } from './recording-links.ts';

/** What the endpoint reads of the recordings folder (recording/recordings-store.ts). */
export interface RecordingFiles {
  list(): Promise<readonly { readonly id: string; readonly phase: string }[]>;
  read(id: string): Promise<{ readonly phase: string; readonly room: string } | undefined>;
  file(id: string, file: string): Promise<{ path: string; size: number } | undefined>;
  remove(id: string): Promise<boolean>;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(body);
}

/**
 * One `bytes=` range of a `size`-byte file: `{start, end}` (inclusive), `'whole'` when there is
 * no usable Range header (absent, or several ranges: answered whole, as RFC 9110 allows), or
 * `'unsatisfiable'`.
 */
export function byteRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'whole' | 'unsatisfiable' {
  if (!header) return 'whole';
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!m) return 'whole';
  const [, a, b] = m;
  if (a === '' && b === '') return 'whole';
  if (a === '') {
    const n = Number(b);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/**
 * Builds the handler: resolves true when it answered (a `/recordings` path), false to let the
 * other routes have the request.
 */
export function createRecordingsEndpoint(
  token: string | undefined,
  files: RecordingFiles | undefined,
  links?: RecordingLinks,
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const want = token === undefined ? undefined : digest(token);
  return async (req, res) => {
    const [path, search = ''] = (req.url ?? '/').split('?', 2) as [string, string?];
    if (path !== '/recordings' && !path.startsWith('/recordings/')) return false;
    const query = new URLSearchParams(search);
    const signed = query.has('sig') || query.has('exp');
    if (!files || (!want && !(signed && links))) {
      text(res, 404, 'Not Found');
      return true;
    }
    let parts: string[];
    try {
      parts = path.split('/').slice(2).map(decodeURIComponent);
    } catch {
      text(res, 400, 'Bad Request');
      return true;
    }
    const method = req.method ?? 'GET';
    if (signed && links) {
      // A signed link: one file, read only; its signature is the whole authority.
      const [id = '', ...rest] = parts;
      const m = rest.length > 0 && (method === 'GET' || method === 'HEAD') ? await files.read(id) : undefined;
      if (!m || !links.verify(id, m.room, rest.join('/'), query)) {
        text(res, 403, 'Forbidden: the link is invalid or has expired');
        return true;
      }
      await download(req, res, files, id, rest.join('/'), method);
      return true;
    }
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!want || !m || !timingSafeEqual(digest(m[1]!), want)) {
      text(res, 401, 'Unauthorized', { 'WWW-Authenticate': 'Bearer realm="recordings"' });
      return true;
    }
    if (parts.length === 0) {
      if (method !== 'GET' && method !== 'HEAD') {
        text(res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
        return true;
      }
      const body = JSON.stringify({ recordings: await files.list() });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(method === 'HEAD' ? undefined : body);
      return true;
    }
    const [id, ...rest] = parts as [string, ...string[]];
    if (rest.length === 0) {
      if (method !== 'DELETE') {
        text(res, 405, 'Method Not Allowed', { Allow: 'DELETE' });
        return true;
      }
      const m = await files.read(id);
      if (!m) text(res, 404, 'Not Found');
      else if (m.phase === 'recording' || m.phase === 'processing')
        text(res, 409, `Conflict: the recording is ${m.phase}`);
      else {
        await files.remove(id);
        res.writeHead(204, { 'Cache-Control': 'no-store' });
        res.end();
      }
      return true;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      text(res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
      return true;
    }
    await download(req, res, files, id, rest.join('/'), method);
    return true;
  };
}

/** Sends one file of a recording (404 when the store does not list it), one byte range at most. */
async function download(
  req: IncomingMessage,
  res: ServerResponse,
  files: RecordingFiles,
  id: string,
  name: string,
  method: string,
): Promise<void> {
  const f = await files.file(id, name);
  if (!f) {
    text(res, 404, 'Not Found');
    return;
  }
  const range = byteRange(req.headers.range, f.size);
  const type = name.endsWith('.opus') ? 'audio/ogg' : name.endsWith('.mp4') ? 'video/mp4' : 'video/webm';
  const headers: Record<string, string> = {
    'Content-Type': type,
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'private, no-store',
    'Content-Disposition': `attachment; filename="${id}-${name.replaceAll('/', '-')}"`,
  };
  if (range === 'unsatisfiable') {
    text(res, 416, 'Range Not Satisfiable', { 'Content-Range': `bytes */${f.size}` });
    return;
  }
  const { start, end } = range === 'whole' ? { start: 0, end: f.size - 1 } : range;
  const length = Math.max(0, end - start + 1);
  res.writeHead(range === 'whole' ? 200 : 206, {
    ...headers,
    'Content-Length': String(length),
    ...(range === 'whole' ? {} : { 'Content-Range': `bytes ${start}-${end}/${f.size}` }),
  });
  if (method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  await new Promise<void>((resolve) => {
    const stream = createReadStream(f.path, { start, end });
    stream.on('error', () => {
      res.destroy();
      resolve();
    });
    res.on('close', () => {
      stream.destroy();
      resolve();
    });
    stream.pipe(res);
  });
}
