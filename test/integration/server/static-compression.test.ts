/**
 * The web app's files compressed by content negotiation (packages/server/src/http/static-files.ts,
 * compressed-copies.ts, accept-encoding.ts), against a real server: the build's brotli and gzip
 * copies (scripts/precompress.mjs) sent with the right Content-Encoding, Content-Length, Vary and
 * one ETag per encoding; HEAD; a Range header; copies made in memory when none is on disk or the
 * one on disk is older than its file; and, as a stranger: the copies and source maps not
 * reachable by name, garbage and huge Accept-Encoding headers, a 304 never crossing encodings.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { ParleyServer } from '@parley/server';
import { precompressDir } from '../../../scripts/precompress.mjs';
import { startServer, stopAllServers } from '../../helpers/server.ts';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw request: no decompression, no path normalisation. */
function raw(url: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Raw> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

function decode(r: Raw): string {
  const enc = r.headers['content-encoding'];
  const bytes = enc === 'br' ? brotliDecompressSync(r.body) : enc === 'gzip' ? gunzipSync(r.body) : r.body;
  return bytes.toString('utf8');
}

/** Text that compresses well but is not trivial. */
const text = (label: string, n: number) =>
  Array.from(
    { length: n },
    (_, i) => `export const ${label}${i} = ${JSON.stringify(`${label} value ${i}`)};`,
  ).join('\n');

describe('static files › compression', () => {
  let webDir: string;
  let server: ParleyServer;
  const appJs = text('app', 2000);
  const indexHtml = `<!doctype html><title>app</title>${'<p>hello</p>'.repeat(100)}`;
  before(async () => {
    webDir = await mkdtemp(join(tmpdir(), 'parley-static-'));
    await mkdir(join(webDir, 'assets'));
    await mkdir(join(webDir, 'sdk'));
    await writeFile(join(webDir, 'index.html'), indexHtml);
    await writeFile(join(webDir, 'assets', 'app-1a2b.js'), appJs);
    await writeFile(join(webDir, 'assets', 'app-1a2b.js.map'), JSON.stringify({ mappings: text('m', 500) }));
    await writeFile(join(webDir, 'assets', 'logo.png'), Buffer.alloc(4096, 7));
    await writeFile(join(webDir, 'tiny.css'), 'body{}');
    const totals = precompressDir(webDir);
    assert.equal(totals.files, 2, 'index.html and app.js get copies; the map, the image, tiny.css none');
    // Written after the build: no copy on disk (as the SDK script of an older build).
    await writeFile(join(webDir, 'sdk', 'parley.js'), text('sdk', 800));
    server = await startServer({ PARLEY_WEB_DIR: webDir });
  });
  after(async () => {
    await stopAllServers();
    await rm(webDir, { recursive: true, force: true });
  });

  it('sends the brotli copy to a browser that takes it, with Vary, Content-Length and immutable caching', async () => {
    const r = await raw(server.url, '/assets/app-1a2b.js', { 'accept-encoding': 'gzip, deflate, br, zstd' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-encoding'], 'br');
    assert.equal(r.headers.vary, 'Accept-Encoding');
    assert.equal(Number(r.headers['content-length']), r.body.length);
    assert.deepEqual(r.body, await readFile(join(webDir, 'assets', 'app-1a2b.js.br')));
    assert.equal(decode(r), appJs);
    assert.match(String(r.headers['content-type']), /text\/javascript/);
    assert.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.ok(r.body.length < appJs.length / 5, `${r.body.length} B`);
  });

  it('gzip when only gzip is taken, the file as it is without Accept-Encoding or with every coding refused', async () => {
    const gz = await raw(server.url, '/assets/app-1a2b.js', { 'accept-encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(Number(gz.headers['content-length']), gz.body.length);
    assert.equal(decode(gz), appJs);
    for (const header of [undefined, 'br;q=0, gzip;q=0', 'identity', 'deflate']) {
      const r = await raw(
        server.url,
        '/assets/app-1a2b.js',
        header === undefined ? {} : { 'accept-encoding': header },
      );
      assert.equal(r.headers['content-encoding'], undefined, String(header));
      assert.equal(r.body.toString('utf8'), appJs, String(header));
      assert.equal(Number(r.headers['content-length']), Buffer.byteLength(appJs));
      assert.equal(r.headers.vary, 'Accept-Encoding', 'a cache must know the answer depends on the header');
    }
  });

  it('HEAD answers the headers of the GET it stands for, without a body', async () => {
    for (const enc of ['br', 'gzip']) {
      const get = await raw(server.url, '/', { 'accept-encoding': enc });
      const head = await raw(server.url, '/', { 'accept-encoding': enc }, 'HEAD');
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
      for (const h of [
        'content-encoding',
        'content-length',
        'etag',
        'vary',
        'content-type',
        'cache-control',
      ]) {
        assert.equal(head.headers[h], get.headers[h], `${enc} ${h}`);
      }
      assert.equal(decode(get), indexHtml);
    }
  });

  it('a Range header gets the whole file (ranges are not offered), compressed or not', async () => {
    const r = await raw(server.url, '/assets/app-1a2b.js', { 'accept-encoding': 'br', range: 'bytes=0-9' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-range'], undefined);
    assert.equal(r.headers['accept-ranges'], undefined);
    assert.equal(decode(r), appJs);
  });

  it('one ETag per encoding: a 304 only for the encoding the tag came from', async () => {
    const br = await raw(server.url, '/assets/app-1a2b.js', { 'accept-encoding': 'br' });
    const gz = await raw(server.url, '/assets/app-1a2b.js', { 'accept-encoding': 'gzip' });
    const plain = await raw(server.url, '/assets/app-1a2b.js');
    const tags = new Set([br.headers.etag, gz.headers.etag, plain.headers.etag]);
    assert.equal(tags.size, 3);
    const again = await raw(server.url, '/assets/app-1a2b.js', {
      'accept-encoding': 'br',
      'if-none-match': String(br.headers.etag),
    });
    assert.equal(again.status, 304);
    assert.equal(again.headers.vary, 'Accept-Encoding');
    const crossed = await raw(server.url, '/assets/app-1a2b.js', {
      'accept-encoding': 'gzip',
      'if-none-match': String(br.headers.etag),
    });
    assert.equal(crossed.status, 200);
    assert.equal(decode(crossed), appJs);
    const listed = await raw(server.url, '/assets/app-1a2b.js', {
      'accept-encoding': 'gzip',
      'if-none-match': `"nope", ${String(gz.headers.etag)}`,
    });
    assert.equal(listed.status, 304);
  });

  it('the SPA fallback is compressed too, with Vary', async () => {
    const r = await raw(server.url, '/r/standup', { 'accept-encoding': 'br' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-encoding'], 'br');
    assert.equal(r.headers.vary, 'Accept-Encoding');
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.equal(decode(r), indexHtml);
  });

  it('a file with no copy on disk is compressed in memory, the same bytes every time', async () => {
    const sdk = (await readFile(join(webDir, 'sdk', 'parley.js'))).toString('utf8');
    const first = await raw(server.url, '/sdk/parley.js', { 'accept-encoding': 'br' });
    const second = await raw(server.url, '/sdk/parley.js', { 'accept-encoding': 'br' });
    assert.equal(first.headers['content-encoding'], 'br');
    assert.equal(decode(first), sdk);
    assert.deepEqual(second.body, first.body);
    assert.equal(Number(first.headers['content-length']), first.body.length);
    const gz = await raw(server.url, '/sdk/parley.js', { 'accept-encoding': 'gzip' });
    assert.equal(decode(gz), sdk);
  });

  it('a file edited after the build never gets its stale copy: compressed afresh', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-static-stale-'));
    try {
      const path = join(dir, 'index.html');
      await writeFile(path, indexHtml);
      precompressDir(dir);
      const edited = indexHtml.replace('<title>app</title>', '<title>edited by the operator</title>');
      await writeFile(path, edited);
      const old = new Date(Date.now() - 60_000);
      await utimes(`${path}.br`, old, old);
      await utimes(`${path}.gz`, old, old);
      const s = await startServer({ PARLEY_WEB_DIR: dir });
      for (const enc of ['br', 'gzip']) {
        const r = await raw(s.url, '/', { 'accept-encoding': enc });
        assert.equal(r.headers['content-encoding'], enc);
        assert.equal(decode(r), edited, enc);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('small files and already-compressed types go as they are; images carry no Vary', async () => {
    const tiny = await raw(server.url, '/tiny.css', { 'accept-encoding': 'br, gzip' });
    assert.equal(tiny.headers['content-encoding'], undefined);
    assert.equal(tiny.body.toString(), 'body{}');
    const png = await raw(server.url, '/assets/logo.png', { 'accept-encoding': 'br, gzip' });
    assert.equal(png.headers['content-encoding'], undefined);
    assert.equal(png.headers.vary, undefined);
    assert.equal(png.body.length, 4096);
  });

  it('stranger › the stored copies are not served by their own names, encoded or not', async () => {
    for (const path of [
      '/assets/app-1a2b.js.br',
      '/assets/app-1a2b.js.gz',
      '/assets/app-1a2b.js%2Ebr',
      '/index.html.gz',
      '/ASSETS/app-1a2b.js.br',
    ]) {
      const r = await raw(server.url, path, { 'accept-encoding': 'br, gzip' });
      assert.equal(r.status, 404, path);
    }
  });

  it('stranger › source maps answer 404 unless PARLEY_SERVE_SOURCE_MAPS=on', async () => {
    for (const path of ['/assets/app-1a2b.js.map', '/assets/app-1a2b.js.MAP', '/assets/app-1a2b.js%2emap']) {
      assert.equal((await raw(server.url, path)).status, 404, path);
      assert.equal((await raw(server.url, path, { 'accept-encoding': 'br' })).status, 404, path);
    }
    const debug = await startServer({ PARLEY_WEB_DIR: webDir, PARLEY_SERVE_SOURCE_MAPS: 'on' });
    const map = await raw(debug.url, '/assets/app-1a2b.js.map', { 'accept-encoding': 'br' });
    assert.equal(map.status, 200);
    assert.equal(
      map.headers['content-encoding'],
      'br',
      'compressed in memory (the build writes no copies of maps)',
    );
    assert.match(decode(map), /"mappings"/);
  });

  it('stranger › garbage, huge and contradictory Accept-Encoding headers: a normal answer', async () => {
    for (const header of [
      ';;;;,,,,q=1',
      'br;q=5',
      'br;q=NaN, gzip;q=-1',
      '\t br \t',
      `${'deflate, '.repeat(1500)}br`,
      `br;q=0, ${'x'.repeat(8000)}`,
    ]) {
      const r = await raw(server.url, '/assets/app-1a2b.js', { 'accept-encoding': header });
      assert.equal(r.status, 200, header.slice(0, 40));
      assert.equal(decode(r), appJs, header.slice(0, 40));
      assert.equal(Number(r.headers['content-length']), r.body.length);
    }
    // Over Node's header limit: refused before Parley sees it, the server stays up.
    const huge = await raw(server.url, '/', { 'accept-encoding': 'gzip,'.repeat(20_000) }).catch(() => null);
    assert.ok(huge === null || huge.status === 400 || huge.status === 431, String(huge?.status));
    assert.equal((await raw(server.url, '/', { 'accept-encoding': 'gzip' })).status, 200);
  });
});
