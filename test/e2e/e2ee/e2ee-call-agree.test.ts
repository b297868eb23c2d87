// @needs chromium
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, afterEach, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { type PageSite, servePages } from '../../helpers/browser.ts';
import { BrowserSet, type TestPage } from '../../helpers/browsers.ts';
import { startServer } from '../../helpers/server.ts';
import type { CallKey } from './e2ee-page.ts';

// Encrypted 1:1 calls by name with keys agreed in the call (ephemeral ECDH, the caller's
// commitment in the invite; packages/client/src/features/e2ee/call-agreement.ts): two Chromium
// pages through the real server and the SDK from source. Success is read from getStats() and the
// SDK's key state; every raw frame the server receives and every log line are kept to show the
// agreed secret never reaches it.

describe('E2EE 1:1 calls with agreed keys (chromium)', () => {
  const browsers = new BrowserSet();
  let site: PageSite<Awaited<ReturnType<typeof startServer>>>;
  const received: string[] = [];
  const logs: string[] = [];
  const originalEmit = WebSocket.prototype.emit;
  let seq = 0;

  before(async () => {
    WebSocket.prototype.emit = function (this: WebSocket, event: string | symbol, ...args: unknown[]) {
      if (event === 'message') received.push(String(args[0]));
      return originalEmit.call(this, event, ...args);
    } as typeof WebSocket.prototype.emit;
    const logger = pino(
      { level: 'trace' },
      new Writable({
        write(chunk, _enc, done) {
          logs.push(String(chunk));
          done();
        },
      }),
    );
    [site] = await Promise.all([
      servePages(
        {
          'e2ee-page': fileURLToPath(new URL('./e2ee-page.ts', import.meta.url)),
          'e2ee-worker': fileURLToPath(
            new URL('../../../packages/client/src/features/e2ee/frame-worker.ts', import.meta.url),
          ),
        },
        (dir) => startServer({ PARLEY_WEB_DIR: dir, PARLEY_LOG_LEVEL: 'trace' }, { logger }),
      ),
      browsers.warmUp(['chromium']),
    ]);
  });
  afterEach(() => browsers.closePages());
  after(async () => {
    WebSocket.prototype.emit = originalEmit;
    await browsers.close();
    await site?.close();
  });

  async function party(name: string, answer: CallKey): Promise<TestPage> {
    const page = await browsers.openPage('chromium', site.page('e2ee-page'));
    await page.waitFor(() => typeof window.e2ee === 'object', { what: 'page loaded' });
    await page.evaluate(([url, n, a]) => window.e2ee.connect(url, n, a), [
      site.server.wsUrl,
      name,
      answer,
    ] as const);
    return page;
  }

  it('an encrypted call decodes both ways, both show one safety code, and the agreed secret never reaches the server', async (t) => {
    const n = ++seq;
    const [a, b] = await Promise.all([party(`a${n}`, null), party(`b${n}`, { agree: true })]);
    await a.evaluate((x) => window.e2ee.call(x, { agree: true }), `b${n}`);
    for (const p of [a, b])
      await p.waitFor(
        async () => {
          const s = await window.e2ee.callState();
          return s.framesDecoded > 5 && s.remote === 'decrypting' && s;
        },
        { what: `${p.label} decodes the encrypted call`, timeoutMs: 20_000 },
      );
    const [sa, sb] = await Promise.all([a, b].map((p) => p.evaluate(() => window.e2ee.callState())));
    t.diagnostic(`codes: ${sa?.code} / ${sb?.code}`);
    assert.ok(sa && sb);
    assert.match(sa.code ?? '', /^[a-z]+ [a-z]+ [a-z]+ [a-z]+$/);
    assert.equal(sa.code, sb.code, 'both parties see the same safety code');
    assert.ok(sb.requested, 'the callee saw that the caller asked for an encrypted call');
    assert.deepEqual([sa.errors, sb.errors], [[], []]);
    assert.ok(sa.agreedSecret && sa.agreedSecret === sb.agreedSecret);
    // The server relayed the public keys and the commitment, never the secret.
    const wire = received.join('\n');
    assert.ok(
      wire.includes('"e2ee-key"') && wire.includes('"commit"'),
      'the agreement went through the server',
    );
    assert.ok(!wire.includes(sa.agreedSecret), 'no frame carries the agreed secret');
    assert.ok(!logs.some((l) => l.includes(sa.agreedSecret as string)), 'no log line carries it');
  });

  it('a callee that answers an encrypted call without E2EE: the caller sees "cannot decrypt" and no frame decodes', async () => {
    const n = ++seq;
    const [a, b] = await Promise.all([party(`a${n}`, null), party(`b${n}`, null)]);
    await a.evaluate((x) => window.e2ee.call(x, { agree: true }), `b${n}`);
    await a.waitFor(async () => (await window.e2ee.callState()).remote === 'failing', {
      what: 'a: cannot decrypt b',
      timeoutMs: 20_000,
    });
    const sa = await a.evaluate(() => window.e2ee.callState());
    assert.equal(sa.framesDecoded, 0, 'a decodes no clear frame of b');
    assert.equal(sa.code, '', 'no key, so no safety code to compare');
    // a has no key either, so it sends nothing (never clear media into an encrypted call).
    assert.equal(
      (await b.evaluate(() => window.e2ee.callState())).framesDecoded,
      0,
      'b decodes nothing of a',
    );
  });
});
