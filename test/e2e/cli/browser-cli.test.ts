// @needs chromium
/**
 * Browser ↔ CLI interop: the web SDK in headless Chromium and `parley` in a Node process speak
 * the same call and file-transfer protocols. A file goes CLI → browser and browser → CLI; both
 * ends agree on the SHA-256, and the browser's getStats() shows the bytes on its data channels.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { killAll, startParley } from '../../integration/cli/cli-process.ts';
import { type SdkEnv, startSdkEnv } from '../sdk/harness.ts';

let env: SdkEnv;
let dir = '';
before(async () => {
  env = await startSdkEnv();
  dir = await mkdtemp(join(tmpdir(), 'parley-e2e-cli-'));
});
afterEach(killAll);
after(async () => {
  await env?.close();
  await rm(dir, { recursive: true, force: true });
});

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('browser ↔ CLI', () => {
  test('parley send → web SDK: the browser accepts, receives and verifies the file', async () => {
    const bytes = randomBytes(2 * 1024 * 1024 + 333);
    const file = join(dir, 'to-browser.bin');
    await writeFile(file, bytes);
    const page = await env.page('web');
    await page.evaluate(async () => {
      const T = window.T;
      T.acceptOptions = { media: false };
      await T.connect('web-rx');
      const w = window as unknown as { received?: unknown };
      T.client!.on('peer', (peer) => {
        const files = (peer as unknown as { files: { on: (e: 'offer', l: (t: never) => void) => void } })
          .files;
        files.on(
          'offer',
          (incoming: {
            name: string;
            accept(): void;
            finished: Promise<{ state: string; sha256?: string }>;
            blob: Blob | null;
          }) => {
            incoming.accept();
            // The transport's byte count, read while the transfer runs and once it finished:
            // the sender may hang up (closing the connection, whose stats then go) the moment
            // its last chunk is confirmed, before this page's `finished` handler runs.
            let transportBytes = 0;
            // (No named functions in here: the bundler would wrap them in a helper the page
            // does not have.)
            const poll = setInterval(() => {
              void peer.pc.getStats().then(
                (stats) => {
                  let n = 0;
                  for (const s of stats.values()) if (s.type === 'transport') n += s.bytesReceived ?? 0;
                  transportBytes = Math.max(transportBytes, n);
                },
                () => {},
              );
            }, 50);
            void incoming.finished.then(async (r) => {
              clearInterval(poll);
              try {
                let n = 0;
                for (const s of (await peer.pc.getStats()).values())
                  if (s.type === 'transport') n += s.bytesReceived ?? 0;
                transportBytes = Math.max(transportBytes, n);
              } catch {
                // The connection closed already: the polled figure stands.
              }
              w.received = {
                name: incoming.name,
                state: r.state,
                sha256: r.sha256,
                size: incoming.blob?.size,
                transportBytes,
              };
            });
          },
        );
      });
    });
    const sender = startParley(['send', file, '--to', 'web-rx', '--server', env.server.url, '--json']);
    assert.equal(await sender.exited, 0, sender.stderr() + JSON.stringify(sender.events));
    await page.waitForFunction(
      () => (window as unknown as { received?: unknown }).received !== undefined,
      null,
      {
        timeout: 30_000,
      },
    );
    const { transportBytes, ...received } = await page.evaluate(
      () => (window as unknown as { received: Record<string, unknown> }).received,
    );
    assert.deepEqual(received, {
      name: 'to-browser.bin',
      state: 'completed',
      sha256: sha256(bytes),
      size: bytes.length,
    });
    assert.equal(sender.events.find((e) => e.type === 'done')?.sha256, sha256(bytes));
    // getStats(), not a promise, proves the bytes crossed the browser's peer connection.
    assert.ok(Number(transportBytes) >= bytes.length, `browser transport received ${transportBytes} bytes`);
    await page.close();
  });

  test("web SDK → parley receive: the CLI saves the browser's file with a matching SHA-256", async () => {
    const outDir = join(dir, 'from-browser');
    const receiver = startParley([
      'receive',
      '--server',
      env.server.url,
      '--name',
      'cli-rx',
      '--dir',
      outDir,
      '--yes',
      '--count',
      '1',
      '--json',
    ]);
    await receiver.waitFor((e) => e.type === 'status' && e.event === 'ready', 30_000, 'receiver ready');
    const page = await env.page('web-sender');
    const sent = await page.evaluate(async () => {
      const T = window.T;
      await T.connect('web-tx');
      await T.callPeer('cli-rx', { media: false });
      const call = T.call!;
      await new Promise<void>((resolve, reject) => {
        if (call.state === 'connected') resolve();
        call.on('state', (s) =>
          s === 'connected' ? resolve() : s === 'ended' ? reject(new Error('ended')) : undefined,
        );
      });
      const data = new Uint8Array(1024 * 1024 + 7);
      for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
      const files = (
        call.peer as unknown as {
          files: {
            send(b: Blob, o: { name: string }): { finished: Promise<{ state: string; sha256?: string }> };
          };
        }
      ).files;
      const result = await files.send(new Blob([data]), { name: 'from-browser.bin' }).finished;
      await call.hangup();
      return { ...result, size: data.length };
    });
    assert.equal(sent.state, 'completed');
    assert.equal(await receiver.exited, 0, receiver.stderr());
    const saved = await readFile(join(outDir, 'from-browser.bin'));
    assert.equal(saved.length, sent.size);
    assert.equal(sha256(saved), sent.sha256);
    assert.equal(receiver.events.find((e) => e.type === 'done')?.sha256, sent.sha256);
    await page.close();
  });
});
