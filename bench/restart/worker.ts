/**
 * One load process of the restart benchmark (bench/restart/run.ts): holds its share of SDK
 * clients (the Node peer's signaling, `ws`), pairs them in rooms of two, and relays a timestamped
 * `room.message` between each pair every `intervalMs`. Talks to the runner over IPC:
 *
 *   runner → { cmd: 'start', members, intervalMs }   logs everyone in, joins the pairs' rooms
 *   worker → { ev: 'ready' }                          every pair relays
 *   runner → { cmd: 'status' } → { ev: 'status', back, open }
 *   runner → { cmd: 'report', windows } → { ev: 'report', backAt, lost, latencies }
 *   runner → { cmd: 'close' }                         closes every client, then exits
 *
 * Times are epoch milliseconds with sub-millisecond precision (`performance.timeOrigin +
 * performance.now()`), so one-way latencies compare across the processes of one machine.
 */
import { connect, type ParleyClient, type WebSocketConstructor } from '@parley/client';
import { WebSocket } from 'ws';

export interface MemberSpec {
  name: string;
  partner: string;
  room: string;
  url: string;
  /** Whether this client's node is the one restarted (its return is what is timed). */
  restarted: boolean;
}

interface Member extends MemberSpec {
  client: ParleyClient;
  lastSeq: number;
  lost: number;
  backAt: number | undefined;
  /** When this member last saw its pair complete (the room joined with the partner in it). */
  pairedAt: number;
  /** The reason the client last gave for leaving `open` (what kept it away). */
  lastReason?: string;
  /** Messages from the partner sent before `pairedAt` (left out of latency and loss). */
  early: number;
  latencies: Array<[number, number]>;
  sending: ReturnType<typeof setInterval> | undefined;
  seq: number;
}

const now = () => performance.timeOrigin + performance.now();
const send = (msg: unknown) => process.send?.(msg);
const members: Member[] = [];
let intervalMs = 200;
/** Error frames the clients got, by code (a relay refused shows here). */
const errors = new Map<string, number>();
const resumes = { resumed: 0, fresh: 0 };

function startRelaying(m: Member): void {
  m.sending ??= setInterval(() => {
    if (m.client.state === 'open')
      m.client.signaling.send({ type: 'room.message', room: m.room, data: { seq: m.seq++, t: now() } });
  }, intervalMs);
}

/** Logs in, trying again (up to 5 times, 1 s apart) when a busy machine lets a connect time out. */
async function connectWithRetry(spec: MemberSpec): Promise<ParleyClient> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectOnce(spec);
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

function connectOnce(spec: MemberSpec): Promise<ParleyClient> {
  return connect(spec.url, {
    name: spec.name,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    dataChannels: false,
    storage: null,
    wakeSource: null,
  });
}

async function open(spec: MemberSpec): Promise<Member> {
  const client = await connectWithRetry(spec);
  const m: Member = {
    ...spec,
    client,
    lastSeq: -1,
    lost: 0,
    backAt: undefined,
    pairedAt: 0,
    early: 0,
    latencies: [],
    sending: undefined,
    seq: 0,
  };
  client.signaling.on('message', (msg) => {
    if (msg.type === 'error') errors.set(msg.code, (errors.get(msg.code) ?? 0) + 1);
    if (msg.type === 'room.message' && msg.from === m.partner) {
      const { seq, t } = msg.data as { seq: number; t: number };
      // Sent before this member saw its pair whole again (queued while a node was down, or in
      // flight across a rejoin): store-and-forward, not the relay between pairs already back.
      if (t < m.pairedAt) {
        m.early++;
        return;
      }
      const at = now();
      m.latencies.push([at, at - t]);
      if (m.lastSeq >= 0 && seq > m.lastSeq + 1) m.lost += seq - m.lastSeq - 1;
      m.lastSeq = Math.max(m.lastSeq, seq);
    }
    // The pair is broken until seen whole again: what arrives meanwhile was queued, not relayed live.
    if (msg.type === 'peer.left' && msg.name === m.partner) m.pairedAt = Number.POSITIVE_INFINITY;
    if (
      (msg.type === 'peer.joined' && msg.name === m.partner) ||
      (msg.type === 'room.joined' && msg.peers.includes(m.partner))
    ) {
      m.pairedAt = now();
      m.lastSeq = -1;
      startRelaying(m);
    }
  });
  client.on('state', (state, reason) => {
    if (reason) m.lastReason = reason;
    if (state !== 'open') m.pairedAt = Number.POSITIVE_INFINITY;
  });
  client.on('reconnected', (resumed) => {
    m.backAt ??= now();
    resumes[resumed ? 'resumed' : 'fresh']++;
    // In flight at the restart is not counted: the count starts again once the partner is seen.
    clearInterval(m.sending);
    m.sending = undefined;
    m.lastSeq = -1;
    // Join the pair's room again: a new node forgot the session; a resumed one kept the room, but
    // the SDK leaves kept rooms it did not join itself (these are raw rooms, the bench's own).
    client.signaling.send({ type: 'room.join', room: m.room });
  });
  return m;
}

async function start(specs: MemberSpec[]): Promise<void> {
  // Logins paced in small groups: the storm measured is the restart, not this.
  for (let i = 0; i < specs.length; i += 25) {
    members.push(...(await Promise.all(specs.slice(i, i + 25).map(open))));
  }
  for (const m of members) m.client.signaling.send({ type: 'room.join', room: m.room });
  const t0 = now();
  while (!members.every((m) => m.sending !== undefined)) {
    if (now() - t0 > 120_000) throw new Error('pairs did not start relaying within 120 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  send({ ev: 'ready' });
}

function countBy(keys: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}

function report(windows: Record<string, [number, number]>): void {
  const latencies: Record<string, number[]> = {};
  for (const [key, [from, to]] of Object.entries(windows))
    latencies[key] = members.flatMap((m) =>
      m.latencies.filter(([at]) => at >= from && at <= to).map(([, ms]) => ms),
    );
  send({
    ev: 'report',
    backAt: members.filter((m) => m.restarted).map((m) => m.backAt ?? null),
    lost: members.reduce((s, m) => s + m.lost, 0),
    early: members.reduce((s, m) => s + m.early, 0),
    errors: Object.fromEntries(errors),
    resumes,
    latencies,
  });
}

process.on(
  'message',
  (msg: {
    cmd: string;
    members?: MemberSpec[];
    intervalMs?: number;
    windows?: Record<string, [number, number]>;
  }) => {
    if (msg.cmd === 'start') {
      intervalMs = msg.intervalMs ?? intervalMs;
      start(msg.members ?? []).catch((err: unknown) => {
        send({ ev: 'error', message: String((err as Error)?.stack ?? err) });
      });
    } else if (msg.cmd === 'status') {
      const restarted = members.filter((m) => m.restarted);
      send({
        ev: 'status',
        back: restarted.filter((m) => m.backAt !== undefined && m.client.state === 'open').length,
        open: members.filter((m) => m.client.state === 'open').length,
        relaying: members.filter((m) => m.sending !== undefined).length,
        states: countBy(restarted.map((m) => `${m.client.state}${m.lastReason ? `:${m.lastReason}` : ''}`)),
      });
    } else if (msg.cmd === 'report') report(msg.windows ?? {});
    else if (msg.cmd === 'close') {
      for (const m of members) {
        clearInterval(m.sending);
        m.client.close();
      }
      setTimeout(() => process.exit(0), 200);
    }
  },
);
