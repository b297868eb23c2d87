/**
 * Browser side of the packet-loss test (loss.test.ts): one Parley client per page in a 1:1
 * call, app channels opened by label, and timestamped position updates sent at a fixed rate.
 * The receiver records, per label, each update's sequence number, phase and one-way latency
 * (both pages run in one Chromium, so `performance.timeOrigin + now()` is one clock). Driven by
 * the test process through `window.lossPeer`.
 */
import {
  type AppChannel,
  type AppChannelOptions,
  type Call,
  connect,
  type ParleyClient,
} from '@parley/client';

/** One update as received: its sequence number in its phase, the phase, and the latency in ms. */
export interface Arrival {
  seq: number;
  phase: string;
  ms: number;
}

export interface LossPeerApi {
  connect(wsUrl: string, name: string): Promise<void>;
  call(to: string): Promise<void>;
  open(label: string, options: AppChannelOptions): void;
  /** Peers whose side of `label` is open. */
  peers(label: string): string[];
  /** Sends `count` updates on every label, one each `intervalMs`; resolves when all are sent. */
  sendUpdates(labels: string[], phase: string, count: number, intervalMs: number): Promise<void>;
  arrivals(label: string): Arrival[];
  errors(): string[];
  /** The protocol of the call's selected ICE candidate pair (`udp` or `tcp`), once known. */
  transport(): Promise<string | null>;
  close(): void;
}

declare global {
  interface Window {
    lossPeer: LossPeerApi;
  }
}

let client: ParleyClient | null = null;
let call: Call | null = null;
const channels = new Map<string, AppChannel>();
const arrivals = new Map<string, Arrival[]>();
const errors: string[] = [];
const clock = () => performance.timeOrigin + performance.now();

function channel(label: string): AppChannel {
  const c = channels.get(label);
  if (!c) throw new Error(`no channel ${label}`);
  return c;
}

window.lossPeer = {
  async connect(wsUrl, name) {
    client = await connect(wsUrl, { name, storage: null });
    client.on('incoming', (c) => {
      call = c;
      void c.accept({ media: false });
    });
  },
  async call(to) {
    call = await (client as ParleyClient).call(to, { media: false });
  },
  open(label, options) {
    if (!call) throw new Error('not in a call');
    const c = call.channel(label, options);
    const list: Arrival[] = [];
    channels.set(label, c);
    arrivals.set(label, list);
    c.on('error', (e) => errors.push(`${label}: ${e.code} ${e.message}`));
    c.on('message', (data) => {
      const u = data as { seq: number; phase: string; t: number };
      list.push({ seq: u.seq, phase: u.phase, ms: clock() - u.t });
    });
  },
  peers: (label) => channel(label).peers,
  async sendUpdates(labels, phase, count, intervalMs) {
    const start = performance.now();
    for (let seq = 0; seq < count; seq++) {
      // Paced against the start, so a late timer does not stretch the run.
      const due = start + seq * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const angle = seq / 10;
      for (const label of labels) {
        void channel(label).send({
          seq,
          phase,
          t: clock(),
          x: Math.cos(angle) * 100,
          y: Math.sin(angle) * 100,
        });
      }
    }
  },
  arrivals: (label) => arrivals.get(label) ?? [],
  errors: () => errors,
  async transport() {
    const pc = call?.peer?.pc;
    if (!pc) return null;
    const stats = await pc.getStats();
    for (const s of stats.values()) {
      if (s.type !== 'transport' || !s.selectedCandidatePairId) continue;
      const pair = stats.get(s.selectedCandidatePairId);
      return (stats.get(pair?.localCandidateId)?.protocol as string | undefined) ?? null;
    }
    return null;
  },
  close() {
    client?.close();
  },
};
