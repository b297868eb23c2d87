// @needs chromium, coturn, janus
/**
 * Janus and the browsers on one coturn (real coturn, real Janus, real Chromium):
 * - `POST /janus/turn` mints TURN REST credentials coturn accepts, only for the holder of
 *   `PARLEY_JANUS_TURN_KEY` (403 otherwise), only by POST (405), and does not exist without the
 *   key or a TURN secret (404);
 * - a Janus configured with `turn_rest_api` pointing at it calls it for its PeerConnections and
 *   offers coturn relay candidates in its SDP;
 * - a relay-only Chromium publisher and a relay-only subscriber (Parley's `sfu.*` messages over
 *   plain WebSocket clients; the browser only does WebRTC) exchange media through coturn: frames
 *   are decoded and the selected candidate pair's local candidate is `relay`, whether coturn may
 *   relay to Janus's own address or refuses it (then relay to relay, on Janus's credentials);
 * - the NAT settings of the generated config, read from Janus's answers: `nat_1_1_mapping`
 *   replaces the private host address (or, with `keep_private_host`, joins it), and a
 *   `stun_server` is asked for the public address when Janus starts.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import type { Page } from 'playwright-core';
import { lanIPv4Addresses } from '../../../../packages/server/src/tls/self-signed.ts';
import {
  type BlankMediaPage,
  type BlankMediaWindow,
  openBlankMediaPage,
  pollPage,
} from '../../../helpers/browser.ts';
import {
  type CoturnConfigContext,
  type CoturnHandle,
  startCoturn,
  turnAllocate,
} from '../../../helpers/coturn.ts';
import { janusEnv, startJanus, type TestJanus } from '../../../helpers/janus.ts';
import { freePort } from '../../../helpers/redis.ts';
import { startServer, stopAllServers } from '../../../helpers/server.ts';
import { feedListed, type SfuPageRig, startSfuPage } from '../../../helpers/sfu-page.ts';
import { closeAllClients, connectClient } from '../../../helpers/ws-client.ts';

const TURN_KEY = 'janus-turn-key-for-the-test-0123456789';

/** POSTs to `url` with a form body; resolves status and parsed JSON (when JSON). */
async function post(url: string, form?: string): Promise<{ status: number; body: unknown; allow?: string }> {
  const res = await fetch(url, {
    method: 'POST',
    ...(form === undefined
      ? {}
      : { body: form, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }),
  });
  const text = await res.text();
  let body: unknown = text;
  if (res.headers.get('content-type')?.startsWith('application/json')) body = JSON.parse(text);
  return { status: res.status, body, allow: res.headers.get('allow') ?? undefined };
}

describe('Janus TURN credentials endpoint (real coturn)', () => {
  let coturn: CoturnHandle;
  let server: ParleyServer;
  before(async () => {
    coturn = await startCoturn();
    server = await startServer({
      PARLEY_TURN_URLS: `${coturn.urls.udp},${coturn.urls.tcp}`,
      PARLEY_TURN_SECRET: coturn.secret,
      PARLEY_TURN_TTL_S: '300',
      PARLEY_JANUS_TURN_KEY: TURN_KEY,
    });
  });
  after(async () => {
    await stopAllServers();
    await coturn?.close();
  });

  it('JanusTurn › the key holder gets credentials coturn accepts, in the shape Janus reads', async () => {
    // What Janus sends: the key as `api` and `key` and its username, in the URL and in the body.
    const query = `service=turn&api=${encodeURIComponent(TURN_KEY)}&key=${encodeURIComponent(TURN_KEY)}&username=4242`;
    const before = Math.floor(Date.now() / 1000);
    const r = await post(`${server.url}/janus/turn?${query}`, query);
    assert.equal(r.status, 200);
    const reply = r.body as { username: string; password: string; ttl: number; uris: string[] };
    assert.deepEqual(Object.keys(reply).sort(), ['password', 'ttl', 'uris', 'username']);
    assert.equal(reply.ttl, 300);
    assert.deepEqual(reply.uris, [coturn.urls.udp, coturn.urls.tcp]);
    const [expiry, name] = reply.username.split(':') as [string, string];
    assert.equal(name, 'janus-4242');
    assert.ok(Number(expiry) >= before + 300 && Number(expiry) <= before + 302, reply.username);
    const allocated = await turnAllocate({
      host: '127.0.0.1',
      port: coturn.port,
      username: reply.username,
      password: reply.password,
    });
    assert.equal(allocated.ok, true, JSON.stringify(allocated));
    // The key in the query string alone (Janus with GET puts it only there) or the body alone.
    assert.equal((await post(`${server.url}/janus/turn?key=${encodeURIComponent(TURN_KEY)}`)).status, 200);
    assert.equal((await post(`${server.url}/janus/turn`, `api=${encodeURIComponent(TURN_KEY)}`)).status, 200);
  });

  it('JanusTurn › a missing or wrong key gets 403 and no credentials; other methods 405', async () => {
    for (const form of [
      undefined,
      'service=turn',
      `key=${TURN_KEY}x`,
      `key=${TURN_KEY.slice(0, -1)}`,
      'key=',
    ]) {
      const r = await post(`${server.url}/janus/turn`, form);
      assert.equal(r.status, 403, String(form));
      assert.equal(r.body, 'Forbidden');
    }
    // A wrong key in the body is not rescued by a right one in the query string.
    assert.equal(
      (await post(`${server.url}/janus/turn?key=${encodeURIComponent(TURN_KEY)}`, 'key=wrong')).status,
      403,
    );
    for (const method of ['GET', 'PUT', 'DELETE', 'HEAD']) {
      const res = await fetch(`${server.url}/janus/turn?key=${encodeURIComponent(TURN_KEY)}`, { method });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('allow'), 'POST');
      await res.arrayBuffer();
    }
    // An oversized body is refused before any key check.
    assert.equal(
      (await post(`${server.url}/janus/turn`, `key=${TURN_KEY}&x=${'a'.repeat(10_000)}`)).status,
      413,
    );
  });

  it('JanusTurn › not served without PARLEY_JANUS_TURN_KEY, or without a TURN secret (404)', async () => {
    const noKey = await startServer({
      PARLEY_TURN_URLS: coturn.urls.udp,
      PARLEY_TURN_SECRET: coturn.secret,
    });
    const noSecret = await startServer({
      PARLEY_TURN_URLS: coturn.urls.udp,
      PARLEY_JANUS_TURN_KEY: TURN_KEY,
    });
    const noUrls = await startServer({ PARLEY_TURN_SECRET: coturn.secret, PARLEY_JANUS_TURN_KEY: TURN_KEY });
    for (const s of [noKey, noSecret, noUrls]) {
      const form = `key=${encodeURIComponent(TURN_KEY)}`;
      const posted = await post(`${s.url}/janus/turn?${form}`, form);
      assert.equal(posted.status, 404);
      assert.equal(posted.body, 'Not Found');
      const got = await fetch(`${s.url}/janus/turn?${form}`);
      assert.equal(got.status, 404);
      await got.arrayBuffer();
    }
  });
});

/**
 * Two coturn setups: one that may relay to Janus's own address (the browser's relay reaches
 * Janus's host candidate), and one that refuses it, as deploy/turnserver.conf refuses private
 * addresses: then the only path is from the browser's relay to Janus's relay, which works only
 * with the credentials Janus got from Parley.
 */
const VARIANTS = [
  { name: 'coturn may relay to Janus’s address', denyJanusHost: false, janusSide: 'host' },
  { name: 'coturn refuses Janus’s address: relay to relay', denyJanusHost: true, janusSide: 'relay' },
] as const;

for (const variant of VARIANTS)
  describe(`Janus through coturn, ${variant.name} (real coturn, real Janus, real Chromium)`, () => {
    const lan = lanIPv4Addresses()[0];
    let coturn: CoturnHandle;
    let rig: SfuPageRig | undefined;
    let janus: TestJanus;
    let server: ParleyServer;
    let page: Page;
    /** Requests Janus made to /janus/turn, with the status each got. */
    const turnRequests: number[] = [];

    before(async () => {
      if (!lan) return;
      coturn = await startCoturn({ config: (ctx) => coturnOnLan(ctx, lan, variant.denyJanusHost) });
      const port = await freePort();
      rig = await startSfuPage('relay', {
        janus: { turnRestApi: { url: `http://127.0.0.1:${port}/janus/turn`, key: TURN_KEY } },
        env: {
          PARLEY_PORT: String(port),
          // Janus's libnice reaches no TURN server on 127.0.0.1 from its ICE address (measured: the
          // allocation times out), so coturn listens on the machine's address as well.
          PARLEY_TURN_URLS: `turn:${lan}:${coturn.port}?transport=udp`,
          PARLEY_TURN_SECRET: coturn.secret,
          PARLEY_JANUS_TURN_KEY: TURN_KEY,
        },
      });
      ({ janus, server, page } = rig);
      server.httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
        if (req.url?.startsWith('/janus/turn')) res.on('finish', () => turnRequests.push(res.statusCode));
      });
    });
    after(async () => {
      await rig?.close();
      await coturn?.close();
    });

    it(`SFU › Janus gets its TURN credentials from Parley and offers coturn relay candidates; relay-only publisher and subscriber get media through coturn (Janus side: ${variant.janusSide})`, async (t) => {
      if (!lan) {
        t.skip('no non-loopback address for ICE on this machine');
        return;
      }
      const room = 'relayed';
      const pub = await connectClient(server.wsUrl);
      const welcome = await pub.hello('presenter');
      // The browsers use what Parley hands them: coturn with fresh REST credentials.
      const iceServers = welcome.iceServers;
      assert.ok(
        iceServers.some(
          (s) => s.username && [s.urls].flat().some((u) => u.endsWith(`:${coturn.port}?transport=udp`)),
        ),
        JSON.stringify(iceServers),
      );
      pub.send({ type: 'room.join', room, mode: 'sfu' });
      assert.equal((await pub.next('room.joined')).mode, 'sfu');
      const sub = await connectClient(server.wsUrl);
      await sub.hello('viewer');
      sub.send({ type: 'room.join', room });
      assert.equal((await sub.next('room.joined')).mode, 'sfu');

      type W = { pub?: RTCPeerConnection; sub?: RTCPeerConnection; errors: string[] };
      const offer = await page.evaluate(async (servers) => {
        const w: W = { errors: [] };
        (window as unknown as { w: W }).w = w;
        const pc = new RTCPeerConnection({ iceServers: servers, iceTransportPolicy: 'relay' });
        w.pub = pc;
        pc.onicecandidateerror = (e) =>
          w.errors.push(`pub ${(e as RTCPeerConnectionIceErrorEvent).errorCode}`);
        const media = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
        pc.addTransceiver(media.getVideoTracks()[0]!, { direction: 'sendonly' });
        await pc.setLocalDescription();
        await (window as unknown as BlankMediaWindow).gathered(pc);
        return pc.localDescription!.sdp;
      }, iceServers as RTCIceServer[]);
      const offerCandidates = candidateLines(offer);
      assert.ok(offerCandidates.length > 0, 'the relay-only publisher gathered no candidate');
      assert.ok(
        offerCandidates.every((c) => c.includes(' typ relay')),
        offerCandidates.join('\n'),
      );

      const started = Date.now();
      pub.send({ type: 'sfu.publish', id: 'pub', room, description: { type: 'offer', sdp: offer } });
      const published = await pub.next('sfu.published', { timeoutMs: 15_000 });
      const answerRelays = relayCandidates(published.description.sdp, coturn);
      console.log(
        `# Janus answer: ${candidateLines(published.description.sdp).length} candidates, ${answerRelays.length} relay via coturn (${Date.now() - started} ms)`,
      );
      assert.ok(
        answerRelays.length > 0,
        `no coturn relay candidate in Janus's answer (requests ${turnRequests.join(',')}):\n${published.description.sdp}\n${janus.log().slice(-3000)}`,
      );
      await page.evaluate(
        (sdp) => (window as unknown as { w: W }).w.pub!.setRemoteDescription({ type: 'answer', sdp }),
        published.description.sdp,
      );
      await feedListed(sub, 'presenter');
      console.log(`# relay-only publish to feed announced: ${Date.now() - started} ms`);

      sub.send({ type: 'sfu.subscribe', id: 'sub', room, feeds: ['presenter'] });
      const subOffer = await sub.next('sfu.offer', { timeoutMs: 15_000 });
      const offerRelays = relayCandidates(subOffer.description.sdp, coturn);
      assert.ok(
        offerRelays.length > 0,
        `no coturn relay candidate in Janus's offer:\n${subOffer.description.sdp}`,
      );
      const subscribedAt = Date.now();
      const answer = await page.evaluate(
        async ({ sdp, servers }) => {
          const w = (window as unknown as { w: W }).w;
          const pc = new RTCPeerConnection({ iceServers: servers, iceTransportPolicy: 'relay' });
          w.sub = pc;
          pc.onicecandidateerror = (e) =>
            w.errors.push(`sub ${(e as RTCPeerConnectionIceErrorEvent).errorCode}`);
          await pc.setRemoteDescription({ type: 'offer', sdp });
          await pc.setLocalDescription();
          await (window as unknown as BlankMediaWindow).gathered(pc);
          return pc.localDescription!.sdp;
        },
        { sdp: subOffer.description.sdp, servers: iceServers as RTCIceServer[] },
      );
      assert.ok(candidateLines(answer).every((c) => c.includes(' typ relay')));
      sub.send({ type: 'sfu.answer', id: 'ans', room, description: { type: 'answer', sdp: answer } });
      assert.equal((await sub.next('ack', { timeoutMs: 10_000 })).re, 'ans');

      const seen = (await pollPage(
        page,
        async () => {
          const w = (window as unknown as { w: W }).w;
          // Decoded or sent frames and the selected pair's candidate types, per connection (no
          // named helper functions in here: the bundler would wrap them in a helper the page lacks).
          const out: {
            framesDecoded: number;
            framesSent: number;
            localType?: string;
            relayProtocol?: string;
            remoteType?: string;
          }[] = [];
          for (const pc of [w.pub!, w.sub!]) {
            const stats = await pc.getStats();
            let framesDecoded = 0;
            let framesSent = 0;
            let pairId: string | undefined;
            for (const r of stats.values()) {
              if (r.type === 'inbound-rtp' && r.kind === 'video') framesDecoded += r.framesDecoded ?? 0;
              if (r.type === 'outbound-rtp' && r.kind === 'video') framesSent += r.framesSent ?? 0;
              if (r.type === 'transport' && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId;
            }
            const pair = pairId ? stats.get(pairId) : undefined;
            const local = pair ? stats.get(pair.localCandidateId) : undefined;
            const remote = pair ? stats.get(pair.remoteCandidateId) : undefined;
            out.push({
              framesDecoded,
              framesSent,
              localType: local?.candidateType,
              relayProtocol: local?.relayProtocol,
              remoteType: remote?.candidateType,
            });
          }
          const [p, s] = out as [(typeof out)[0], (typeof out)[0]];
          return s.framesDecoded > 10 && s.localType ? { pub: p, sub: s, errors: w.errors } : null;
        },
        { timeoutMs: 20_000, what: 'frames decoded by the relay-only subscriber' },
      ))!;
      console.log(
        `# subscriber: ${seen.sub.framesDecoded} frames decoded ${Date.now() - subscribedAt} ms after its answer; ` +
          `local ${seen.sub.localType}/${seen.sub.relayProtocol} -> Janus ${seen.sub.remoteType}; ` +
          `publisher: ${seen.pub.framesSent} frames sent, local ${seen.pub.localType} -> Janus ${seen.pub.remoteType}`,
      );
      assert.equal(seen.sub.localType, 'relay');
      assert.equal(seen.pub.localType, 'relay');
      assert.equal(seen.sub.remoteType, variant.janusSide);
      assert.equal(seen.pub.remoteType, variant.janusSide);
      assert.ok(seen.pub.framesSent > 0);
      assert.deepEqual(seen.errors, []);

      // Janus asked Parley for credentials for each PeerConnection (publisher, subscriber), and got them.
      console.log(
        `# /janus/turn requests from Janus: ${turnRequests.length} (statuses ${turnRequests.join(',')})`,
      );
      assert.ok(turnRequests.length >= 2, `Janus called /janus/turn ${turnRequests.length} times`);
      assert.ok(turnRequests.every((s) => s === 200));
    });
  });

/**
 * coturn as the helper runs it (TURN REST secret, free ports), but listening on the machine's
 * address too. Relays come from `lan`, or from 127.0.0.1 with `lan` refused as a peer.
 */
function coturnOnLan(ctx: CoturnConfigContext, lan: string, denyLan: boolean): string {
  return [
    'listening-ip=127.0.0.1',
    `listening-ip=${lan}`,
    `relay-ip=${denyLan ? '127.0.0.1' : lan}`,
    ...(denyLan ? [`denied-peer-ip=${lan}`] : []),
    `listening-port=${ctx.port}`,
    `min-port=${ctx.relayRange.min}`,
    `max-port=${ctx.relayRange.max}`,
    'use-auth-secret',
    `static-auth-secret=${ctx.secret}`,
    `realm=${ctx.realm}`,
    'no-tls',
    'no-dtls',
    'no-cli',
    'fingerprint',
    'no-software-attribute',
    'no-rfc5780',
    `pidfile=${ctx.dir}/turn.pid`,
    `log-file=${ctx.dir}/turn.log`,
    'simple-log',
    // Both relays of the relay-to-relay case are on 127.0.0.1 (tests only).
    'allow-loopback-peers',
    '',
  ].join('\n');
}

/** The `a=candidate` lines of an SDP. */
function candidateLines(sdp: string): string[] {
  return sdp.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
}

/** Relay candidates on coturn's relay address and port range. */
function relayCandidates(sdp: string, coturn: CoturnHandle): string[] {
  return candidateLines(sdp).filter((l) => {
    const f = l.split(' ');
    const port = Number(f[5]);
    return (
      f[7] === 'relay' &&
      (f[4] === '127.0.0.1' || f[4] === lanIPv4Addresses()[0]) &&
      port >= coturn.relayRange.min &&
      port <= coturn.relayRange.max
    );
  });
}

describe('Janus NAT settings (real Janus, real coturn as STUN, real Chromium offers)', () => {
  const lan = lanIPv4Addresses()[0];
  const PUBLIC = '203.0.113.7';
  let coturn: CoturnHandle;
  let blank: BlankMediaPage;
  let page: Page;
  const januses: TestJanus[] = [];

  before(async () => {
    if (!lan) return;
    coturn = await startCoturn({ config: (ctx) => coturnOnLan(ctx, lan, false) });
    blank = await openBlankMediaPage('nat');
    page = blank.page;
  });
  after(async () => {
    await closeAllClients();
    await blank?.close();
    await stopAllServers();
    for (const j of januses) await j.close();
    await coturn?.close();
  });

  /** Host candidate addresses in Janus's answer to a Chromium publisher, through Parley. */
  async function answerHosts(janus: TestJanus): Promise<string[]> {
    const server = await startServer({
      ...janusEnv(janus),
    });
    const c = await connectClient(server.wsUrl);
    await c.hello('presenter');
    c.send({ type: 'room.join', room: 'nat', mode: 'sfu' });
    await c.next('room.joined');
    const offer = await page.evaluate(async () => {
      const pc = new RTCPeerConnection();
      const media = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
      pc.addTransceiver(media.getVideoTracks()[0]!, { direction: 'sendonly' });
      await pc.setLocalDescription();
      await (window as unknown as BlankMediaWindow).gathered(pc);
      return pc.localDescription!.sdp;
    });
    c.send({ type: 'sfu.publish', room: 'nat', description: { type: 'offer', sdp: offer } });
    const { sdp } = (await c.next('sfu.published', { timeoutMs: 15_000 })).description;
    c.close();
    return candidateLines(sdp)
      .map((l) => l.split(' '))
      .filter((f) => f[7] === 'host')
      .map((f) => f[4]!);
  }

  it('JanusConfig › nat_1_1_mapping puts the public address in the host candidates instead of the private one', async (t) => {
    if (!lan) {
      t.skip('no non-loopback address for ICE on this machine');
      return;
    }
    const janus = await startJanus({ nat1To1: [PUBLIC] });
    januses.push(janus);
    const hosts = await answerHosts(janus);
    console.log(`# nat_1_1_mapping ${PUBLIC}: host candidates ${hosts.join(', ')}`);
    assert.ok(hosts.length > 0);
    assert.ok(
      hosts.every((h) => h === PUBLIC),
      hosts.join(','),
    );
  });

  it('JanusConfig › stun_server: Janus asks it for its public address at startup', async (t) => {
    if (!lan) {
      t.skip('no non-loopback address for ICE on this machine');
      return;
    }
    // Debug level 4 shows Janus's startup STUN test; an unreachable STUN server stops Janus.
    const janus = await startJanus({ stun: { host: lan, port: coturn.port }, debugLevel: 4 });
    januses.push(janus);
    const stunLine = janus
      .log()
      .split('\n')
      .find((l) => /public address is/i.test(l));
    console.log(`# Janus with stun ${lan}:${coturn.port}: ${stunLine?.trim()}`);
    assert.match(stunLine ?? '', new RegExp(`public address is ${lan.replaceAll('.', '\\.')}`), janus.log());
    // Here the reflexive address is the host address itself: Janus offers it once, as host.
    assert.deepEqual([...new Set(await answerHosts(janus))], [lan]);
  });

  it('JanusConfig › keep_private_host offers the private address beside the public one', async (t) => {
    if (!lan) {
      t.skip('no non-loopback address for ICE on this machine');
      return;
    }
    const janus = await startJanus({ nat1To1: [PUBLIC], keepPrivateHost: true });
    januses.push(janus);
    const hosts = await answerHosts(janus);
    console.log(`# nat_1_1_mapping ${PUBLIC} + keep_private_host: host candidates ${hosts.join(', ')}`);
    assert.deepEqual([...new Set(hosts)].sort(), [PUBLIC, lan].sort());
  });
});
