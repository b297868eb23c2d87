/**
 * The page of the channel benchmark (run.ts), bundled with esbuild and served by a real Parley
 * server. Two SDK clients in one room open a reliable app channel and a lossy one (`ordered:
 * false, maxRetransmits: 0`); beside them, two raw RTCPeerConnections in the same page carry
 * negotiated RTCDataChannels with the same two sets of options. `latency()` sends timestamped
 * updates at a fixed rate on all four at once; `throughput()` moves binary messages on the
 * reliable pair of one kind as fast as a 1 MiB send buffer allows. Driven through
 * `window.channelBench`. Imports the SDK and the test's latency summary only.
 */
import { type AppChannel, type AppChannelInput, connect } from '@parley/client';
import { type LatencySummary, summarize } from '../../test/e2e/channels/latency.ts';

const HIGH = 1024 * 1024;
type Kind = 'app' | 'raw';
type Mode = 'reliable' | 'lossy';

export interface LatencyResult {
  sent: number;
  delivered: number;
  ms: LatencySummary;
}

export interface ChannelBenchApi {
  setup(wsUrl: string): Promise<void>;
  latency(count: number, intervalMs: number): Promise<Record<Kind, Record<Mode, LatencyResult>>>;
  throughput(kind: Kind, size: number, count: number): Promise<{ msgsPerS: number; MBps: number }>;
}

declare global {
  interface Window {
    channelBench: ChannelBenchApi;
  }
}

/** One direction of one channel, app or raw, as the benchmark drives it. */
interface Pipe {
  send(data: string | Uint8Array): Promise<void>;
  onMessage(fn: (data: string | ArrayBuffer) => void): void;
}

const pipes = new Map<string, Pipe>();
const pipe = (kind: Kind, mode: Mode) => pipes.get(`${kind} ${mode}`) as Pipe;

function appPipe(from: AppChannel, to: AppChannel): Pipe {
  let handler: (data: string | ArrayBuffer) => void = () => {};
  to.on('message', (data) => handler(data as string | ArrayBuffer));
  return {
    send: (data) => from.send(data as AppChannelInput),
    onMessage: (fn) => {
      handler = fn;
    },
  };
}

function rawPipe(from: RTCDataChannel, to: RTCDataChannel): Pipe {
  from.bufferedAmountLowThreshold = HIGH;
  to.binaryType = 'arraybuffer';
  return {
    async send(data) {
      if (from.bufferedAmount > HIGH)
        await new Promise((r) => from.addEventListener('bufferedamountlow', r, { once: true }));
      from.send(data as string & Uint8Array<ArrayBuffer>);
    },
    onMessage: (fn) => {
      to.onmessage = (e) => fn(e.data);
    },
  };
}

const opened = (c: AppChannel) => new Promise((r) => (c.peers.length ? r(0) : c.once('open', r)));

async function rawChannels(): Promise<[RTCDataChannel, RTCDataChannel, RTCDataChannel, RTCDataChannel]> {
  const p1 = new RTCPeerConnection();
  const p2 = new RTCPeerConnection();
  p1.onicecandidate = (e) => e.candidate && p2.addIceCandidate(e.candidate);
  p2.onicecandidate = (e) => e.candidate && p1.addIceCandidate(e.candidate);
  const lossy = { negotiated: true, id: 2, ordered: false, maxRetransmits: 0 };
  const channels = [
    p1.createDataChannel('raw', { negotiated: true, id: 1 }),
    p2.createDataChannel('raw', { negotiated: true, id: 1 }),
    p1.createDataChannel('raw-lossy', lossy),
    p2.createDataChannel('raw-lossy', lossy),
  ] as const;
  await p1.setLocalDescription();
  await p2.setRemoteDescription(p1.localDescription as RTCSessionDescription);
  await p2.setLocalDescription();
  await p1.setRemoteDescription(p2.localDescription as RTCSessionDescription);
  await Promise.all(
    channels.map((d) => new Promise((r) => (d.readyState === 'open' ? r(0) : d.addEventListener('open', r)))),
  );
  return [...channels];
}

window.channelBench = {
  async setup(wsUrl) {
    const [a, b] = await Promise.all([connect(wsUrl, { name: 'a' }), connect(wsUrl, { name: 'b' })]);
    const ra = await a.join('bench', { media: false });
    const rb = await b.join('bench', { media: false });
    const lossy = { ordered: false, maxRetransmits: 0 };
    const [ca, cb, la, lb] = [
      ra.channel('bench'),
      rb.channel('bench'),
      ra.channel('pos', lossy),
      rb.channel('pos', lossy),
    ];
    await Promise.all([ca, cb, la, lb].map(opened));
    const [d1, d2, r1, r2] = await rawChannels();
    pipes.set('app reliable', appPipe(ca, cb));
    pipes.set('app lossy', appPipe(la, lb));
    pipes.set('raw reliable', rawPipe(d1, d2));
    pipes.set('raw lossy', rawPipe(r1, r2));
  },

  async latency(count, intervalMs) {
    const runs = (['app', 'raw'] as const).flatMap((kind) =>
      (['reliable', 'lossy'] as const).map((mode) => ({ kind, mode, ms: [] as number[] })),
    );
    for (const run of runs) {
      pipe(run.kind, run.mode).onMessage((data) => {
        run.ms.push(performance.now() - (JSON.parse(data as string) as { t: number }).t);
      });
    }
    const start = performance.now();
    for (let seq = 0; seq < count; seq++) {
      const wait = start + seq * intervalMs - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const text = JSON.stringify({ seq, t: performance.now(), x: seq % 640, y: seq % 480 });
      for (const run of runs) void pipe(run.kind, run.mode).send(text);
    }
    // The reliable ones finish once their retransmissions land; the lossy ones never will.
    const until = performance.now() + 10_000;
    while (runs.some((r) => r.mode === 'reliable' && r.ms.length < count) && performance.now() < until)
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    const out = { app: {}, raw: {} } as Record<Kind, Record<Mode, LatencyResult>>;
    for (const run of runs)
      out[run.kind][run.mode] = { sent: count, delivered: run.ms.length, ms: summarize(run.ms) };
    return out;
  },

  async throughput(kind, size, count) {
    const p = pipe(kind, 'reliable');
    const buf = new Uint8Array(size).fill(7);
    let got = 0;
    const done = new Promise<void>((resolve) => {
      p.onMessage((data) => {
        got += (data as ArrayBuffer).byteLength;
        if (got === size * count) resolve();
      });
    });
    const t0 = performance.now();
    for (let i = 0; i < count; i++) await p.send(buf);
    await done;
    const s = (performance.now() - t0) / 1000;
    return { msgsPerS: Math.round(count / s), MBps: +((size * count) / s / 1e6).toFixed(2) };
  },
};
