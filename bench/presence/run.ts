/**
 * Presence at scale (issue 27): what one login costs a node when many people are online and
 * subscribed to presence, for this tree and, with `--baseline <ref>`, for another commit in the
 * same run (bench/signaling/baseline.ts), so the two compare as ratios.
 *
 *   npm run bench:presence -- --online 1000,4000,10000 --logins 200 --baseline cc44a6b
 *
 * For each target and each `online` count, a fresh server process; `online` clients log in and
 * subscribe to presence with the default view (the whole directory before issue 27, its first
 * page after), then `logins` more clients log in (without subscribing), 20 at a time. Measured:
 * the server's CPU from /proc during the logins and until their frames are out (the window ends
 * when no presence frame arrived for 3 s, so the coalescing intervals are inside it), divided by
 * the logins; and the presence frames the subscribers received, per login. Then a storm: every
 * client of the last count drops at once and logs in again (fresh sessions, as after a restart),
 * timed until all are back, with the frames the server sent meanwhile (for the `--storm` count
 * only, default 1000: before issue 27 a storm of 4,000 costs minutes).
 *
 * Prints one JSON document on stdout; progress on stderr.
 */
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { materialise } from '../signaling/baseline.ts';
import { machineInfo, processCpuMs } from '../signaling/proc.ts';
import { freePort, startServer } from '../signaling/server-process.ts';
import { PARLEY_BENCH_ENV, ROOT } from '../signaling/targets.ts';

const { values } = parseArgs({
  options: {
    online: { type: 'string', default: '1000,4000' },
    logins: { type: 'string', default: '200' },
    baseline: { type: 'string' },
    storm: { type: 'string', default: '1000' },
  },
});
const ONLINE = values.online.split(',').map(Number);
const LOGINS = Number(values.logins);
/** The `online` count whose clients also go through the reconnect storm (0: none). */
const STORM_AT = Number(values.storm);
const log = (line: string) => process.stderr.write(`[presence-bench] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Target {
  name: string;
  root: string;
}

interface Client {
  ws: WebSocket;
  presenceFrames: number;
  welcomed: Promise<void>;
}

/** Opens a client, logs in as `name`, and (when `subscribe`) subscribes to presence. */
function openClient(port: number, name: string, subscribe: boolean, counters: { frames: number }): Client {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  const c: Client = { ws, presenceFrames: 0, welcomed: Promise.resolve() };
  c.welcomed = new Promise<void>((resolve, reject) => {
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', versions: ['1'], name })));
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('{"type":"welcome"')) {
        if (subscribe) ws.send('{"type":"presence.subscribe","id":1}');
        else resolve();
      } else if (text.startsWith('{"type":"presence.listed"')) resolve();
      else if (text.startsWith('{"type":"presence.')) {
        c.presenceFrames++;
        counters.frames++;
      } else if (text.startsWith('{"type":"error"')) reject(new Error(`${name}: ${text}`));
    });
    ws.on('error', reject);
  });
  return c;
}

async function openMany(
  port: number,
  names: readonly string[],
  subscribe: boolean,
  counters: { frames: number },
  batch = 200,
): Promise<Client[]> {
  const out: Client[] = [];
  for (let i = 0; i < names.length; i += batch) {
    const group = names.slice(i, i + batch).map((n) => openClient(port, n, subscribe, counters));
    await Promise.all(group.map((c) => c.welcomed));
    out.push(...group);
  }
  return out;
}

/** Resolves once no presence frame arrived for `quietMs`. */
async function quiet(counters: { frames: number }, quietMs: number): Promise<void> {
  let last = counters.frames;
  let since = performance.now();
  for (;;) {
    await sleep(100);
    if (counters.frames !== last) {
      last = counters.frames;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) return;
  }
}

async function closeAll(clients: readonly Client[]): Promise<void> {
  await Promise.all(
    clients.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.ws.readyState === WebSocket.CLOSED) return resolve();
          c.ws.once('close', () => resolve());
          c.ws.terminate();
        }),
    ),
  );
}

async function measure(target: Target, online: number): Promise<Record<string, number>> {
  const port = await freePort();
  const server = await startServer(
    {
      args: ['--import', 'tsx', `${target.root}/packages/server/src/main.ts`],
      cwd: target.root,
      env: {
        ...PARLEY_BENCH_ENV,
        PARLEY_HOST: '127.0.0.1',
        PARLEY_PORT: String(port),
        PARLEY_GRACE_S: '0',
        // Logins are what is measured here, not refused (a tree without the gate ignores these).
        PARLEY_LOGIN_RATE_PER_S: '1000000',
        PARLEY_LOGIN_BURST: '1000000',
        // Before issue 27 a node with thousands subscribed is busy for seconds after each batch
        // of logins: upgrades and hellos must not time out while it catches up.
        PARLEY_HEADERS_TIMEOUT_MS: '120000',
        PARLEY_REQUEST_TIMEOUT_MS: '120000',
        PARLEY_HELLO_TIMEOUT_MS: '120000',
      },
    },
    port,
    2 * online + 2 * LOGINS + 1000,
  );
  const counters = { frames: 0 };
  try {
    const subs = await openMany(
      port,
      Array.from({ length: online }, (_, i) => `on${i}`),
      true,
      counters,
      50,
    );
    await quiet(counters, 3000);
    const framesBefore = counters.frames;
    const cpuBefore = processCpuMs(server.pid);
    const t0 = performance.now();
    const newcomers = await openMany(
      port,
      Array.from({ length: LOGINS }, (_, i) => `new${i}`),
      false,
      counters,
      20,
    );
    const loginMs = performance.now() - t0;
    await quiet(counters, 3000);
    const cpuMs = processCpuMs(server.pid) - cpuBefore;
    const frames = counters.frames - framesBefore;
    const result: Record<string, number> = {
      online,
      logins: LOGINS,
      cpuMsPerLogin: round(cpuMs / LOGINS),
      framesPerLogin: round(frames / LOGINS),
      loginsPerS: round((LOGINS / loginMs) * 1000),
    };
    if (online === STORM_AT) {
      // Everyone drops and comes back at once with a fresh session (a restart, as clients see it).
      await closeAll([...subs, ...newcomers]);
      await sleep(500);
      const stormFramesBefore = counters.frames;
      const stormCpuBefore = processCpuMs(server.pid);
      const s0 = performance.now();
      const back = await openMany(
        port,
        Array.from({ length: online }, (_, i) => `on${i}`),
        true,
        counters,
        1000,
      );
      result.stormReloginS = round((performance.now() - s0) / 1000);
      await quiet(counters, 3000);
      result.stormCpuS = round((processCpuMs(server.pid) - stormCpuBefore) / 1000);
      result.stormPresenceFrames = counters.frames - stormFramesBefore;
      await closeAll(back);
    } else await closeAll([...subs, ...newcomers]);
    return result;
  } finally {
    await server.stop();
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;

async function main(): Promise<void> {
  const targets: Target[] = [];
  if (values.baseline) {
    const b = materialise(values.baseline);
    targets.push({ name: `parley@${b.commit.slice(0, 7)}`, root: b.dir.replace(/\/$/, '') });
  }
  targets.push({ name: 'parley', root: ROOT.replace(/\/$/, '') });
  const rows: Array<Record<string, number | string>> = [];
  for (const online of ONLINE)
    for (const t of targets) {
      log(`${t.name}: ${online} online, ${LOGINS} logins…`);
      const r = await measure(t, online);
      log(`  ${JSON.stringify(r)}`);
      rows.push({ target: t.name, ...r });
    }
  const ratios: Array<Record<string, number | string>> = [];
  if (targets.length === 2)
    for (const online of ONLINE) {
      const [b, a] = targets.map((t) => rows.find((r) => r.target === t.name && r.online === online)!);
      ratios.push({
        online,
        cpuPerLogin: round((a!.cpuMsPerLogin as number) / (b!.cpuMsPerLogin as number)),
        framesPerLogin: round((a!.framesPerLogin as number) / Math.max(1e-9, b!.framesPerLogin as number)),
        ...(online === STORM_AT
          ? { stormCpu: round((a!.stormCpuS as number) / (b!.stormCpuS as number)) }
          : {}),
      });
    }
  process.stdout.write(
    `${JSON.stringify({ bench: 'presence', date: new Date().toISOString(), machine: machineInfo(), rows, ratios }, null, 2)}\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
