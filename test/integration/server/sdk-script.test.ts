// GET /sdk/parley.js: the script-tag build of the SDK (scripts/sdk-bundle.mjs, written by
// `npm run build` into the web app's dist) is served by the server with a JavaScript content
// type, revalidated caching, the security headers, and a body that defines the global `Parley`.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
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
    const map = await fetch(`${server.url}/sdk/parley.js.map`);
    assert.equal(map.status, 200);
    await map.arrayBuffer();
  });
});
