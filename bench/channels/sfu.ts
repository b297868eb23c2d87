/**
 * `npx tsx bench/channels/sfu.ts`: a room channel in an SFU room (through the Parley server,
 * `room.data`) against the same channel in a mesh room (peer to peer), two SDK members in one
 * Chromium page, a real Parley server and a real Janus: messages/s and MB/s for 64 B and 16 KiB
 * binary messages, reliable and ordered, the sender awaiting each `send()` (backpressure).
 * The server's per-sender room data limits are raised out of the way, so this measures the
 * relay's capacity; with the defaults (`PARLEY_ROOM_DATA_PER_S` 200, `…_BYTES_PER_S` 1 MiB) the
 * SDK paces a sender to 180 messages/s and 0.94 MB/s. Prints JSON with sfu/mesh ratios
 * (docs/BENCHMARKS.md, "App data channels"). Imports test helpers only.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: a plain .mjs build script, no types
import { buildSdkScript } from '../../scripts/sdk-bundle.mjs';
import { launchChromium, removeDir } from '../../test/helpers/browser.ts';
import { janusEnv, startJanus } from '../../test/helpers/janus.ts';
import { startServer } from '../../test/helpers/server.ts';

const CASES = [
  { size: 64, count: 10_000 },
  { size: 16 * 1024, count: 1_000 },
];
const dir = mkdtempSync(join(tmpdir(), 'parley-bench-sfu-channels-'));
await buildSdkScript(dir);
writeFileSync(join(dir, 'bench.html'), '<!doctype html><script src="/sdk/parley.js"></script>');
const janus = await startJanus();
const server = await startServer({
  PARLEY_WEB_DIR: dir,
  ...janusEnv(janus),
  PARLEY_ROOM_DATA_PER_S: '1000000',
  PARLEY_ROOM_DATA_BURST: '1000000',
  PARLEY_ROOM_DATA_BYTES_PER_S: '1000000000',
  PARLEY_ROOM_DATA_BYTES_BURST: '1000000000',
  PARLEY_MAX_SEND_BUFFER_BYTES: String(64 * 1024 * 1024),
});
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.addInitScript('globalThis.__name = (f) => f'); // tsx's keepNames helper, inside evaluate
  await page.goto(`${server.url}/bench.html`);
  const results = await page.evaluate(
    async ([wsUrl, cases]) => {
      const { connect } = (window as unknown as { Parley: typeof import('@parley/client') }).Parley;
      const [a, b] = await Promise.all([connect(wsUrl, { name: 'a' }), connect(wsUrl, { name: 'b' })]);
      /** Both members in `room` (`mode`), with the channel open both ways. */
      async function pair(room: string, mode: 'mesh' | 'sfu') {
        const ra = await a.join(room, { media: false, mode });
        const rb = await b.join(room, { media: false, mode });
        if (ra.mode !== mode || rb.mode !== mode) throw new Error(`${room} is ${ra.mode}/${rb.mode}`);
        const ca = ra.channel('bench');
        const cb = rb.channel('bench');
        await Promise.all([new Promise((r) => ca.once('open', r)), new Promise((r) => cb.once('open', r))]);
        return [ca, cb] as const;
      }
      const channels = { mesh: await pair('bench-mesh', 'mesh'), sfu: await pair('bench-sfu', 'sfu') };

      async function run(kind: 'mesh' | 'sfu', size: number, count: number) {
        const [ca, cb] = channels[kind];
        const buf = new Uint8Array(size).fill(7);
        let got = 0;
        let off = () => {};
        const done = new Promise<void>((resolve) => {
          off = cb.on('message', (data) => {
            got += (data as ArrayBuffer).byteLength;
            if (got === size * count) resolve();
          });
        });
        const t0 = performance.now();
        for (let i = 0; i < count; i++) await ca.send(buf);
        await done;
        const s = (performance.now() - t0) / 1000;
        off();
        return { msgsPerS: Math.round(count / s), MBps: +((size * count) / s / 1e6).toFixed(2) };
      }
      const out = [];
      for (const { size, count } of cases) {
        const mesh = await run('mesh', size, count);
        const sfu = await run('sfu', size, count);
        out.push({ size, count, mesh, sfu, ratio: +(sfu.msgsPerS / mesh.msgsPerS).toFixed(2) });
      }
      a.close();
      b.close();
      return out;
    },
    [server.wsUrl, CASES] as const,
  );
  console.log(
    JSON.stringify({ bench: 'channels-sfu', cpus: cpus().length, cpu: cpus()[0]?.model, results }, null, 2),
  );
} finally {
  await browser.close();
  await server.close();
  await janus.close();
  removeDir(dir);
}
