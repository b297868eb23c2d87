// GET /sdk/parley.js: the script-tag build of the SDK (scripts/sdk-bundle.mjs, written by
// `npm run build` into the web app's dist) is served by the server with a JavaScript content
// type, revalidated caching, the security headers, and a body that defines the global `Parley`.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runInNewContext } from 'node:vm';
import type { ParleyServer } from '@parley/server';
// @ts-expect-error: a plain .mjs build script, no types
import { buildSdkScript } from '../../../scripts/sdk-bundle.mjs';
import { removeDir } from '../../helpers/browser.ts';
import { startServer } from '../../helpers/server.ts';

describe('HTTP › /sdk/parley.js (the SDK for a <script> tag)', () => {
  let dir: string;
  let server: ParleyServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-sdk-'));
    await buildSdkScript(dir);
    server = await startServer({ PARLEY_WEB_DIR: dir });
  });
  after(async () => {
    await server?.close();
    if (dir) removeDir(dir);
  });

  it('answers 200 with JavaScript that sets window.Parley, cached with revalidation', async () => {
    const res = await fetch(`${server.url}/sdk/parley.js`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.ok(res.headers.get('etag'), 'revalidated by ETag');
    assert.doesNotMatch(
      res.headers.get('cache-control') ?? '',
      /immutable/,
      'a stable path is not immutable',
    );
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const body = await res.text();
    assert.match(body, /sourceMappingURL=parley\.js\.map/);
    // Evaluated as a classic script would be (with the Web globals it uses at load): it defines
    // `Parley` with the SDK's exports.
    const { TextDecoder, TextEncoder, URL, EventTarget, Event, AbortController, crypto } = globalThis;
    const sandbox: Record<string, unknown> = {
      ...{ TextDecoder, TextEncoder, URL, EventTarget, Event, AbortController, crypto },
    };
    runInNewContext(body, sandbox);
    const Parley = sandbox.Parley as Record<string, unknown>;
    assert.equal(typeof Parley.connect, 'function');
    // Source maps are served only with PARLEY_SERVE_SOURCE_MAPS=on (static-compression.test.ts).
    const map = await fetch(`${server.url}/sdk/parley.js.map`);
    assert.equal(map.status, 404);
    await map.arrayBuffer();
  });
  it('as a stranger: traversal out of /sdk/ never reaches another file, and PUT changes nothing', async () => {
    /** One raw request (fetch would normalise the dots away). */
    const raw = (method: string, path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${server.url}${path}`, { method, path }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            body += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end(method === 'PUT' ? 'window.Parley = "owned";' : undefined);
      });
    const before = await fetch(`${server.url}/sdk/parley.js`);
    const etag = before.headers.get('etag');
    const script = await before.text();
    for (const path of [
      '/sdk/../../package.json',
      '/sdk/%2e%2e/%2e%2e/package.json',
      '/sdk/..%2f..%2fpackage.json',
      '/sdk/parley.js%00.map',
      '/sdk/.parley.js',
    ]) {
      const r = await raw('GET', path);
      assert.notEqual(r.status, 200, path);
      assert.doesNotMatch(r.body, /"name": *"@?parley/, path);
    }
    const put = await raw('PUT', '/sdk/parley.js');
    assert.notEqual(put.status, 200);
    const after = await fetch(`${server.url}/sdk/parley.js`);
    assert.equal(after.headers.get('etag'), etag, 'the script is unchanged');
    assert.equal(await after.text(), script, 'the same bytes are served');
  });
});
