// @needs coturn
/**
 * Anonymous TURN exhaustion, through a real coturn: on a server without access tokens, strangers
 * from one address (simulated with X-Forwarded-For behind a trusted loopback proxy) open many
 * sessions and `/ice` requests and allocate with every credential they get. They must not be able
 * to take the relay from everyone else: a user from another address still gets a real relay
 * allocation (Allocate answered with a relayed address), not just credentials.
 *
 * coturn runs with a small `user-quota` and `total-quota` (the proportions of
 * deploy/turnserver.conf, scaled down): before the fix every session had its own TURN username
 * and so its own quota, and 24 sessions held every allocation (the next user got 486).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { IceServer, ServerMessage } from '@parley/protocol';
import { type ParleyServer, turnAddressId } from '@parley/server';
import { WebSocket } from 'ws';
import {
  type CoturnHandle,
  type HeldAllocation,
  holdTurnAllocation,
  startCoturn,
} from '../../../helpers/coturn.ts';
import { startServer, stopAllServers } from '../../../helpers/server.ts';
import { checkServerFrame } from '../../../helpers/ws-client.ts';

const USER_QUOTA = 4;
const TOTAL_QUOTA = 16;
const ATTACKER = '198.51.100.7';

/** A raw WebSocket from `ip` (X-Forwarded-For) that sent `hello` and got `welcome`. */
interface Peer {
  ws: WebSocket;
  welcome: Extract<ServerMessage, { type: 'welcome' }>;
  frames: ServerMessage[];
}

const sockets = new Set<WebSocket>();
const held: HeldAllocation[] = [];

async function helloFrom(wsUrl: string, ip: string, name: string): Promise<Peer> {
  const ws = new WebSocket(wsUrl, { headers: { 'x-forwarded-for': ip }, perMessageDeflate: false });
  sockets.add(ws);
  const frames: ServerMessage[] = [];
  ws.on('message', (d) => frames.push(checkServerFrame(d.toString())));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'hello', versions: ['1'], name }));
  const welcome = await waitFrame(frames, 'welcome', 3000);
  return { ws, welcome, frames };
}

async function waitFrame<T extends ServerMessage['type']>(
  frames: ServerMessage[],
  type: T,
  timeoutMs: number,
  from = 0,
): Promise<Extract<ServerMessage, { type: T }>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const f = frames.slice(from).find((m) => m.type === type);
    if (f) return f as Extract<ServerMessage, { type: T }>;
    if (f === undefined && frames.some((m) => m.type === 'error')) {
      throw new Error(`error frame: ${JSON.stringify(frames.find((m) => m.type === 'error'))}`);
    }
    if (Date.now() > deadline) throw new Error(`no ${type} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The TURN entry with credentials, if the list has one. */
function turnEntry(list: readonly IceServer[]): IceServer | undefined {
  return list.find((s) => s.username !== undefined && s.credential !== undefined);
}

/** Allocates with `entry` until coturn refuses (or `max` are held); every allocation is kept. */
async function allocateAll(
  turn: CoturnHandle,
  entry: IceServer,
  max: number,
): Promise<(number | undefined)[]> {
  const refusals: (number | undefined)[] = [];
  for (let i = 0; i < max; i++) {
    const r = await holdTurnAllocation({
      host: '127.0.0.1',
      port: turn.port,
      username: entry.username!,
      password: entry.credential!,
    });
    if (!r.ok) {
      refusals.push(r.code);
      break;
    }
    held.push(r);
  }
  return refusals;
}

async function getIce(
  url: string,
  ip: string,
): Promise<{ status: number; retryAfter: string | null; body: { iceServers: IceServer[] } }> {
  const res = await fetch(`${url}/ice`, { headers: { 'x-forwarded-for': ip } });
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: (await res.json()) as { iceServers: IceServer[] },
  };
}

describe('TURN on a server without access tokens › one address cannot exhaust the relay', () => {
  let turn: CoturnHandle;
  let server: ParleyServer;

  before(async () => {
    turn = await startCoturn({
      relayPorts: TOTAL_QUOTA + 8,
      extraArgs: [`--user-quota=${USER_QUOTA}`, `--total-quota=${TOTAL_QUOTA}`],
    });
  });
  after(async () => {
    await turn?.close();
  });
  afterEach(async () => {
    await Promise.all(held.splice(0).map((h) => h.release()));
    for (const ws of sockets) ws.terminate();
    sockets.clear();
    await stopAllServers();
  });

  it('24 sessions and 20 /ice calls from one address hold at most one user-quota; others still allocate', async () => {
    server = await startServer({
      PARLEY_TRUST_PROXY: 'loopback',
      PARLEY_TURN_URLS: turn.urls.udp,
      PARLEY_TURN_SECRET: turn.secret,
    });
    const nowS = Date.now() / 1000;

    // The attacker: 24 sessions, each allocating with whatever it was given.
    let withTurn = 0;
    let refusedByCoturn = 0;
    for (let i = 0; i < 24; i++) {
      const peer = await helloFrom(server.wsUrl, ATTACKER, `atk-${i}`);
      const entry = turnEntry(peer.welcome.iceServers);
      if (!entry) {
        // Withheld: STUN only, and nothing that looks like a credential.
        assert.ok(peer.welcome.iceServers.every((s) => [s.urls].flat().every((u) => u.startsWith('stun:'))));
        continue;
      }
      withTurn++;
      const expiry = Number(entry.username!.split(':')[0]);
      assert.ok(expiry <= nowS + 601, `credentials live at most 10 minutes (expiry ${expiry}, now ${nowS})`);
      refusedByCoturn += (await allocateAll(turn, entry, USER_QUOTA)).filter((c) => c === 486).length;
    }
    assert.ok(withTurn <= server.config.turnPerAddress, `${withTurn} sessions of one address got TURN`);

    // The attacker's /ice calls: rate-limited (429 with Retry-After), and the credentials that do
    // come back are the address's own (same quota), not a shared `selftest` name.
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await getIce(server.url, ATTACKER);
      statuses.push(r.status);
      if (r.status === 429) {
        assert.ok(Number(r.retryAfter) >= 1, `Retry-After: ${r.retryAfter}`);
        continue;
      }
      const entry = turnEntry(r.body.iceServers);
      if (entry) {
        assert.ok(entry.username!.endsWith(`:${turnAddressId(turn.secret, ATTACKER)}`), entry.username);
        await allocateAll(turn, entry, USER_QUOTA);
      }
    }
    assert.ok(statuses.filter((s) => s === 429).length >= 20 - server.config.icePerMin, statuses.join(','));

    // Everything one address holds fits in one user-quota, and coturn said so (486) to the rest.
    assert.ok(held.length <= USER_QUOTA, `one address holds ${held.length} allocations`);
    assert.ok(refusedByCoturn > 0, 'coturn refused allocations beyond the per-address quota');

    // Another address's /ice is untouched by the attacker's rate limit and budget.
    const bystander = await getIce(server.url, '203.0.113.77');
    assert.equal(bystander.status, 200);
    assert.ok(
      turnEntry(bystander.body.iceServers)?.username?.endsWith(
        `:${turnAddressId(turn.secret, '203.0.113.77')}`,
      ),
    );

    // Users from other addresses (IPv4, and an IPv6 /64) still get real relay allocations.
    for (const [ip, name] of [
      ['203.0.113.9', 'alice'],
      ['2001:db8:77:1::5', 'bob'],
    ] as const) {
      const peer = await helloFrom(server.wsUrl, ip, name);
      const entry = turnEntry(peer.welcome.iceServers);
      assert.ok(entry, `${name} got TURN credentials`);
      const r = await holdTurnAllocation({
        host: '127.0.0.1',
        port: turn.port,
        username: entry.username!,
        password: entry.credential!,
      });
      assert.ok(r.ok, `${name}'s allocation: ${JSON.stringify(r)}`);
      held.push(r);
      assert.ok(r.relayed.port >= turn.relayRange.min && r.relayed.port <= turn.relayRange.max);
    }
  });

  it('a /64 counts as one address: its sessions share the budget', async () => {
    server = await startServer({
      PARLEY_TRUST_PROXY: 'loopback',
      PARLEY_TURN_URLS: turn.urls.udp,
      PARLEY_TURN_SECRET: turn.secret,
      PARLEY_TURN_PER_ADDRESS: '2',
    });
    const names: string[] = [];
    for (let i = 1; i <= 4; i++) {
      const peer = await helloFrom(server.wsUrl, `2001:db8:5:6::${i}`, `six-${i}`);
      const entry = turnEntry(peer.welcome.iceServers);
      if (entry) names.push(entry.username!.split(':')[1]!);
    }
    assert.equal(names.length, 2);
    assert.equal(new Set(names).size, 1, 'one TURN user per /64');
    const other = await helloFrom(server.wsUrl, '2001:db8:5:7::1', 'next-64');
    assert.ok(turnEntry(other.welcome.iceServers), 'another /64 has its own budget');
  });

  it('refresh › ice.updated brings working credentials; an allocation outlives its credential; a withheld session gets TURN once a place frees', async () => {
    server = await startServer({
      PARLEY_TRUST_PROXY: 'loopback',
      PARLEY_TURN_URLS: turn.urls.udp,
      PARLEY_TURN_SECRET: turn.secret,
      PARLEY_TURN_TTL_S: '2',
      PARLEY_TURN_PER_ADDRESS: '1',
    });
    const first = await helloFrom(server.wsUrl, '192.0.2.50', 'first');
    const entry = turnEntry(first.welcome.iceServers);
    assert.ok(entry);
    const allocation = await holdTurnAllocation({
      host: '127.0.0.1',
      port: turn.port,
      username: entry.username!,
      password: entry.credential!,
    });
    assert.ok(allocation.ok, JSON.stringify(allocation));
    held.push(allocation);

    // The address's only place is taken: the second session is told at welcome (STUN only).
    const second = await helloFrom(server.wsUrl, '192.0.2.50', 'second');
    assert.equal(turnEntry(second.welcome.iceServers), undefined);
    // (then Parley's own built-in STUN, issue 20)
    assert.deepEqual(second.welcome.iceServers, [
      { urls: [`stun:127.0.0.1:${turn.port}`] },
      { urls: [`stun:127.0.0.1:${server.stun.port}`] },
    ]);

    // The holder's refresh: fresh credentials that coturn accepts.
    const updated = await waitFrame(first.frames, 'ice.updated', 4000);
    const fresh = turnEntry(updated.iceServers);
    assert.ok(fresh && fresh.username !== entry.username);
    const again = await holdTurnAllocation({
      host: '127.0.0.1',
      port: turn.port,
      username: fresh.username!,
      password: fresh.credential!,
    });
    assert.ok(again.ok, JSON.stringify(again));
    held.push(again);

    // Once the first credential has expired, the allocation made with it still refreshes: a relay
    // in use is not cut when its credential expires.
    const expiryMs = Number(entry.username!.split(':')[0]) * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, expiryMs - Date.now()) + 1100));
    assert.deepEqual(await allocation.refresh(600), { ok: true, lifetimeS: 600 });

    // The first session leaves; once its credentials expire, the second gets TURN by ice.updated.
    first.ws.send(JSON.stringify({ type: 'bye' }));
    const deadline = Date.now() + 8000;
    let granted: IceServer | undefined;
    while (!granted && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      for (const f of second.frames) if (f.type === 'ice.updated') granted ??= turnEntry(f.iceServers);
    }
    assert.ok(granted, 'the withheld session got TURN credentials once a place was free');
  });
});
