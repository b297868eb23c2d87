/**
 * `npx tsx bench/channels/run.ts`: an SDK app channel (room.channel, two members in one Chromium
 * page, through a real Parley server) against a raw negotiated RTCDataChannel between two
 * RTCPeerConnections in the same page: messages/s and MB/s for 64 B and 16 KiB binary messages,
 * reliable and ordered, each sender waiting while more than 1 MiB is buffered. Prints JSON with
 * app/raw ratios (docs/BENCHMARKS.md, "App data channels"). Imports test helpers only.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: a plain .mjs build script, no types
import { buildSdkScript } from '../../scripts/sdk-bundle.mjs';
import { launchChromium, removeDir } from '../../test/helpers/browser.ts';
import { startServer } from '../../test/helpers/server.ts';

const CASES = [
  { size: 64, count: 20_000 },
  { size: 16 * 1024, count: 2_000 },
];
const dir = mkdtempSync(join(tmpdir(), 'parley-bench-channels-'));
await buildSdkScript(dir);
writeFileSync(join(dir, 'bench.html'), '<!doctype html><script src="/sdk/parley.js"></script>');
const server = await startServer({ PARLEY_WEB_DIR: dir });
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.addInitScript('globalThis.__name = (f) => f'); // tsx's keepNames helper, inside evaluate
  await page.goto(`${server.url}/bench.html`);
  const results = await page.evaluate(
    async ([wsUrl, cases]) => {
      const HIGH = 1024 * 1024;
      const { connect } = (window as unknown as { Parley: typeof import('@parley/client') }).Parley;
      const [a, b] = await Promise.all([connect(wsUrl, { name: 'a' }), connect(wsUrl, { name: 'b' })]);
      const ra = await a.join('bench');
      const rb = await b.join('bench');
      const ca = ra.channel('bench');
      const cb = rb.channel('bench');
      await Promise.all([new Promise((r) => ca.once('open', r)), new Promise((r) => cb.once('open', r))]);
      // Raw: two peer connections in this page, one negotiated channel with the same options.
      const p1 = new RTCPeerConnection();
      const p2 = new RTCPeerConnection();
      p1.onicecandidate = (e) => e.candidate && p2.addIceCandidate(e.candidate);
      p2.onicecandidate = (e) => e.candidate && p1.addIceCandidate(e.candidate);
      const d1 = p1.createDataChannel('raw', { negotiated: true, id: 1 });
      const d2 = p2.createDataChannel('raw', { negotiated: true, id: 1 });
      d1.binaryType = d2.binaryType = 'arraybuffer';
      await p1.setLocalDescription();
      await p2.setRemoteDescription(p1.localDescription as RTCSessionDescription);
      await p2.setLocalDescription();
      await p1.setRemoteDescription(p2.localDescription as RTCSessionDescription);
      await new Promise((r) => (d1.readyState === 'open' ? r(0) : d1.addEventListener('open', r)));
      d1.bufferedAmountLowThreshold = HIGH;

      async function run(kind: 'app' | 'raw', size: number, count: number) {
        const buf = new Uint8Array(size).fill(7);
        let got = 0;
        let off = () => {};
        const done = new Promise<void>((resolve) => {
          const onBytes = (n: number) => {
            got += n;
            if (got === size * count) resolve();
          };
          if (kind === 'app') off = cb.on('message', (data) => onBytes((data as ArrayBuffer).byteLength));
          else d2.onmessage = (e) => onBytes((e.data as ArrayBuffer).byteLength);
        });
        const t0 = performance.now();
        for (let i = 0; i < count; i++) {
          if (kind === 'app') await ca.send(buf);
          else {
            if (d1.bufferedAmount > HIGH)
              await new Promise((r) => d1.addEventListener('bufferedamountlow', r, { once: true }));
            d1.send(buf);
          }
        }
        await done;
        const s = (performance.now() - t0) / 1000;
        off();
        return { msgsPerS: Math.round(count / s), MBps: +((size * count) / s / 1e6).toFixed(2) };
      }
      const out = [];
      for (const { size, count } of cases) {
        const raw = await run('raw', size, count);
        const app = await run('app', size, count);
        out.push({
          size,
          count,
          raw,
          app,
          ratio: +(app.msgsPerS / raw.msgsPerS).toFixed(2),
        });
      }
      return out;
    },
    [server.wsUrl, CASES] as const,
  );
  console.log(
    JSON.stringify({ bench: 'channels', cpus: cpus().length, cpu: cpus()[0]?.model, results }, null, 2),
  );
} finally {
  await browser.close();
  await server.close();
  removeDir(dir);
}
