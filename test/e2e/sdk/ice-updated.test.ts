// @needs chromium, coturn
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { type CoturnHandle, startCoturn } from '../../helpers/coturn.ts';
import { type SdkEnv, startSdkEnv } from './harness.ts';

// The server's real `ice.updated`: TURN credentials live PARLEY_TURN_TTL_S (6 s here) and the
// server sends fresh ones at 80 % of that. Both pages are forced through the relay
// (iceTransportPolicy 'relay'), so a gathering with expired credentials gets no candidate at all
// (coturn answers 401). The call is placed after the login credentials expired (new connections
// must use the refreshed ones), and ICE is restarted after the call's own credentials expired
// (existing connections must have been given the fresh ones with setConfiguration).
const TTL_S = 6;

describe('SDK › ice.updated from the server (Chromium + coturn, short TURN TTL)', () => {
  let env: SdkEnv;
  let turn: CoturnHandle;
  let a: Page;
  let b: Page;

  before(async () => {
    turn = await startCoturn();
    env = await startSdkEnv({
      PARLEY_TURN_URLS: turn.urls.udp,
      PARLEY_TURN_SECRET: turn.secret,
      PARLEY_TURN_TTL_S: String(TTL_S),
    });
    [a, b] = await Promise.all([env.page('alice'), env.page('bob')]);
    for (const [p, name] of [
      [a, 'alice'],
      [b, 'bob'],
    ] as const) {
      await p.evaluate(
        (n) => window.T.connect(n, { rtcConfiguration: { iceTransportPolicy: 'relay' } }),
        name,
      );
    }
  });
  after(async () => {
    await env?.close();
    await turn?.close();
  });

  /** The TURN username the client holds now (`<expiry-unix-s>:<name>`). */
  const clientUser = (p: Page) =>
    p.evaluate(() => (window.T.client?.iceServers.find((s) => s.username)?.username ?? '') as string);
  /** The TURN username the call's RTCPeerConnection is configured with now. */
  const pcUser = (p: Page) =>
    p.evaluate(
      () =>
        (window.T.call?.peer?.pc.getConfiguration().iceServers?.find((s) => s.username)?.username ??
          '') as string,
    );
  const expiryMs = (user: string) => Number(user.split(':')[0]) * 1000;

  /**
   * Waits until `read` gives a username other than `old` that was minted after `old` expired,
   * i.e. the first refresh after the expiry (the freshest credentials, most time left).
   */
  async function waitForRefreshAfterExpiry(p: Page, read: (p: Page) => Promise<string>, old: string) {
    const deadline = Date.now() + (TTL_S * 2 + 10) * 1000;
    for (;;) {
      const now = await read(p);
      if (now !== old && expiryMs(now) - TTL_S * 1000 > expiryMs(old)) return now;
      if (Date.now() > deadline) assert.fail(`no refreshed credentials after ${old} expired (still ${now})`);
      await p.waitForTimeout(100);
    }
  }

  /** Local candidate type and id of the selected pair. */
  const selected = (p: Page) =>
    p.evaluate(async () => {
      const report = (await window.T.call?.peer?.getStats()) as RTCStatsReport;
      let pairId: string | undefined;
      report.forEach((s: Record<string, unknown>) => {
        if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId as string;
      });
      const pair = pairId ? (report.get(pairId) as Record<string, unknown>) : undefined;
      const local = pair
        ? (report.get(pair.localCandidateId as string) as Record<string, unknown>)
        : undefined;
      return { type: local?.candidateType as string | undefined, id: local?.id as string | undefined };
    });

  it('new and existing peer connections use the refreshed TURN credentials', async () => {
    const login = await Promise.all([clientUser(a), clientUser(b)]);
    assert.ok(
      login.every((u) => /^\d+:/.test(u)),
      `TURN credentials from welcome: ${login.join(', ')}`,
    );
    // Place the call only once the login credentials have expired and fresh ones arrived.
    for (const [i, p] of [a, b].entries()) await waitForRefreshAfterExpiry(p, clientUser, login[i] as string);
    assert.ok(Date.now() > Math.max(...login.map(expiryMs)), 'the welcome credentials are expired');

    await a.evaluate(() => window.T.callPeer('bob'));
    for (const p of [a, b])
      await p.waitForFunction(() => window.T.call?.state === 'connected', null, { timeout: 20_000 });
    for (const p of [a, b]) {
      assert.equal((await selected(p)).type, 'relay', 'forced through the relay');
      assert.ok((await p.evaluate(() => window.T.flowing())).frames > 2, 'media flows');
    }

    // Now let the call's own credentials expire; ice.updated must reach the existing connection.
    const inCall = await Promise.all([pcUser(a), pcUser(b)]);
    for (const [i, p] of [a, b].entries()) await waitForRefreshAfterExpiry(p, pcUser, inCall[i] as string);
    assert.ok(Date.now() > Math.max(...inCall.map(expiryMs)), "the call's first credentials are expired");
    const before = await Promise.all([selected(a), selected(b)]);
    for (const p of [a, b])
      await p.evaluate(() => {
        const pc = window.T.call?.peer?.pc as RTCPeerConnection;
        (window as unknown as { turnErrors: number }).turnErrors = 0;
        pc.addEventListener('icecandidateerror', () => {
          (window as unknown as { turnErrors: number }).turnErrors++;
        });
      });

    // bob is the impolite side: his restart is the one that goes through.
    const ufrag = (p: Page) =>
      p.evaluate(() => /a=ice-ufrag:(\S+)/.exec(window.T.call?.peer?.pc.localDescription?.sdp ?? '')?.[1]);
    const oldUfrag = await ufrag(b);
    await b.evaluate(() => window.T.call?.peer?.restartIce());
    await b.waitForFunction(
      (old) => {
        const pc = window.T.call?.peer?.pc;
        const u = /a=ice-ufrag:(\S+)/.exec(pc?.localDescription?.sdp ?? '')?.[1];
        return u !== old && pc?.signalingState === 'stable';
      },
      oldUfrag,
      { timeout: 20_000, polling: 50 },
    );
    for (const [i, p] of [a, b].entries()) {
      await p.waitForFunction(
        async (oldId) => {
          const pc = window.T.call?.peer?.pc as RTCPeerConnection;
          if (pc.iceConnectionState !== 'connected' && pc.iceConnectionState !== 'completed') return false;
          const report = await pc.getStats();
          let id: string | undefined;
          report.forEach((s: Record<string, unknown>) => {
            if (s.type === 'transport' && s.selectedCandidatePairId) {
              id = (report.get(s.selectedCandidatePairId as string) as { localCandidateId?: string })
                ?.localCandidateId;
            }
          });
          return id !== undefined && id !== oldId;
        },
        before[i]?.id,
        { timeout: 20_000, polling: 100 },
      );
    }
    for (const [p, who] of [
      [a, 'alice'],
      [b, 'bob'],
    ] as const) {
      const sel = await selected(p);
      assert.equal(sel.type, 'relay', `${who}: a new relay candidate after the restart`);
      const errors = await p.evaluate(() => (window as unknown as { turnErrors: number }).turnErrors);
      assert.equal(errors, 0, `${who}: no TURN error (401) while gathering with the refreshed credentials`);
      assert.ok(
        (await p.evaluate(() => window.T.flowing())).frames > 2,
        `${who}: media flows after the restart`,
      );
    }
  });
});
