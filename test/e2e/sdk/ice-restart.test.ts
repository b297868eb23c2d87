// @needs chromium, coturn
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { type CoturnHandle, startCoturn } from '../../helpers/coturn.ts';
import { type SdkEnv, startSdkEnv } from './harness.ts';

// A real ICE failure and recovery: both pages are forced through a TURN relay
// (iceTransportPolicy 'relay'), then that coturn is killed mid-call. Media stops, ICE goes
// disconnected, and the SDK's recovery must restart ICE on its own and reconnect through a second
// TURN server, which the pages are handed with setIceServers: the server's `ice.updated` only
// refreshes credentials for its configured TURN URLs (a static list), so it cannot announce
// another server mid-test. The real `ice.updated` path is proven by ice-updated.test.ts.
describe('SDK › ICE restart after a forced failure (Chromium + coturn)', () => {
  let env: SdkEnv;
  let turn1: CoturnHandle;
  let turn2: CoturnHandle;
  let a: Page;
  let b: Page;

  before(async () => {
    turn1 = await startCoturn();
    turn2 = await startCoturn({ secret: turn1.secret });
    env = await startSdkEnv({ PARLEY_TURN_URLS: turn1.urls.udp, PARLEY_TURN_SECRET: turn1.secret });
    [a, b] = await Promise.all([env.page('alice'), env.page('bob')]);
    for (const [p, name] of [
      [a, 'alice'],
      [b, 'bob'],
    ] as const) {
      await p.evaluate(
        (n) =>
          window.T.connect(n, {
            rtcConfiguration: { iceTransportPolicy: 'relay' },
            // The polite side's backup waits well past the impolite side's restart: at 1.5 s a
            // loaded machine once let it fire before bob's restart offer had even been sent,
            // failing "alice never restarts" (the SDK cannot know an offer is on its way).
            peer: { iceDisconnectedGraceMs: 1000, politeBackupMs: 5000 },
          }),
        name,
      );
    }
  });
  after(async () => {
    await env?.close();
    await turn1?.close();
    await turn2?.close();
  });

  /** The local candidate type and the relay port of the selected candidate pair. */
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
      return { type: local?.candidateType as string | undefined, url: local?.url as string | undefined };
    });

  /** Waits for `fn` in `p`; on timeout, fails with both pages' peer logs (what happened, in order). */
  async function waitFor(p: Page, fn: () => boolean, what: string): Promise<void> {
    try {
      await p.waitForFunction(fn, null, { timeout: 20_000, polling: 50 });
    } catch {
      const dump = async (q: Page) =>
        q.evaluate(() => [
          `ice=${window.T.call?.peer?.pc.iceConnectionState} conn=${window.T.call?.peer?.pc.connectionState}`,
          ...window.T.logs
            .filter((l) => l.logger === 'parley:peer')
            .map((l) => `${l.msg} ${JSON.stringify(l.ctx)}`)
            .slice(-15),
        ]);
      assert.fail(
        `timed out: ${what}\nalice:\n${(await dump(a)).join('\n')}\nbob:\n${(await dump(b)).join('\n')}`,
      );
    }
  }

  it('recovers from a dead relay with an ICE restart, and media flows again', async () => {
    await a.evaluate(() => window.T.callPeer('bob'));
    for (const p of [a, b])
      await p.waitForFunction(() => window.T.call?.state === 'connected', null, { timeout: 15_000 });
    for (const p of [a, b]) {
      assert.equal((await selected(p)).type, 'relay', 'forced through the relay');
      assert.ok((await p.evaluate(() => window.T.flowing())).frames > 2);
    }

    // The second relay, as an ice.updated would announce it (same credentials, other server).
    for (const p of [a, b]) {
      await p.evaluate((url) => {
        const current = window.T.client?.iceServers[0] as RTCIceServer;
        window.T.call?.peer?.setIceServers([{ ...current, urls: url }]);
      }, turn2.urls.udp);
    }
    const killedAt = Date.now();
    await turn1.close();

    await waitFor(b, () => window.T.events.some((e) => e.what === 'call:reconnecting'), 'bob sees trouble');
    const sawTrouble = Date.now() - killedAt;
    // bob ('bob' > 'alice') is the impolite side: he restarts ICE; alice answers his offer.
    await waitFor(b, () => window.T.count('ice restart') > 0, 'bob restarts ICE');
    for (const p of [a, b]) {
      await waitFor(
        p,
        () =>
          window.T.call?.state === 'connected' && window.T.call.peer?.pc.iceConnectionState === 'connected',
        'connected again',
      );
    }
    const recovered = Date.now() - killedAt;
    for (const [p, who] of [
      [a, 'alice'],
      [b, 'bob'],
    ] as const) {
      const flow = await p.evaluate(() => window.T.flowing());
      assert.ok(flow.frames > 2 && flow.audioBytes > 0, `${who} receives media again`);
      const sel = await selected(p);
      assert.equal(sel.type, 'relay');
    }
    const politeLog = await a.evaluate(() =>
      window.T.logs
        .filter((l) => l.logger === 'parley:peer')
        .map((l) => `${l.msg} ${JSON.stringify(l.ctx)}`)
        .slice(-12),
    );
    assert.equal(
      await a.evaluate(() => window.T.count('ice restart')),
      0,
      `one side restarts, not both:\n${politeLog.join('\n')}`,
    );
    const turn2Port = new URL(turn2.urls.udp.replace('turn:', 'turn://')).port;
    assert.ok((await selected(a)).url?.includes(turn2Port), 'now relayed by the second TURN server');
    console.log(
      `# ice restart: trouble seen ${sawTrouble} ms after the relay died, media back after ${recovered} ms`,
    );
  });
});
