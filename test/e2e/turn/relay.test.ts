// @needs chromium, coturn
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { mintTurnCredentials } from '../../../packages/server/src/turn/credentials.ts';
import {
  launchChromium,
  pollPage,
  removeDir,
  type StaticServer,
  serveStatic,
  tracePage,
  writePage,
} from '../../helpers/browser.ts';
import {
  type CoturnHandle,
  type RelayState,
  readReceiverStats,
  startCoturn,
  startRelayCall,
} from '../../helpers/coturn.ts';

// TURN relay proof, independent of the Parley server: coturn with the REST secret, credentials
// minted the way the server mints them, two relay-only peer connections in one page.
describe('TURN relay through coturn (Chromium)', () => {
  let browser: Browser;
  let site: StaticServer;
  let turn: CoturnHandle;
  let dir: string;
  let page: Page | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-relay-'));
    writePage(dir, 'index.html', '<!doctype html><title>relay</title>');
    [site, turn, browser] = await Promise.all([serveStatic(dir), startCoturn(), launchChromium()]);
  });
  afterEach(async () => {
    await page?.close();
    page = undefined;
  });
  after(async () => {
    await browser?.close();
    await site?.close();
    await turn?.close();
    if (dir) removeDir(dir);
  });

  async function openPage(): Promise<Page> {
    page = await browser.newPage();
    tracePage(page, 'relay');
    await page.goto(`${site.url}/index.html`);
    return page;
  }

  for (const transport of ['udp', 'tcp'] as const) {
    it(`connects relay-only over ${transport} and decodes video through the relay`, async () => {
      const p = await openPage();
      const { username, credential } = mintTurnCredentials(turn.secret, 'relay-test', 300);
      await p.evaluate(startRelayCall, { urls: turn.urls[transport], username, credential });
      const stats = await pollPage(p, readReceiverStats, { what: `frames decoded over ${transport} relay` });
      assert.ok(stats && stats.framesDecoded >= 5);
      assert.equal(stats.localType, 'relay');
      assert.equal(stats.relayProtocol, transport);
    });
  }

  const refused = [
    {
      what: 'a credential signed with the wrong secret',
      mint: () => mintTurnCredentials(`not-${turn.secret}`, 'relay-test', 300),
    },
    {
      what: 'an expired credential',
      mint: () => mintTurnCredentials(turn.secret, 'relay-test', 60, Date.now() - 3_600_000),
    },
  ];
  for (const { what, mint } of refused) {
    it(`gets 401 and no relay candidate for ${what}`, async () => {
      const p = await openPage();
      const { username, credential } = mint();
      await p.evaluate(startRelayCall, { urls: turn.urls.udp, username, credential });
      const errors = await pollPage(
        p,
        () => {
          const { errors } = (window as unknown as { relay: RelayState }).relay;
          return errors.some((e) => e.errorCode === 401) ? errors : null;
        },
        { what: 'icecandidateerror 401' },
      );
      assert.ok(
        errors?.every((e) => e.errorCode === 401),
        JSON.stringify(errors),
      );
      // Gathering ends without a candidate (relay-only policy, relay refused). Chromium then
      // leaves ICE at 'new' rather than 'failed' (see TESTING-WEBRTC.md): assert exactly that.
      const final = await pollPage(
        p,
        () => {
          const { a, b, candidateTypes } = (window as unknown as { relay: RelayState }).relay;
          if (a.iceGatheringState !== 'complete' || b.iceGatheringState !== 'complete') return null;
          return { candidateTypes, ice: [a.iceConnectionState, b.iceConnectionState] };
        },
        { what: 'ICE gathering complete' },
      );
      assert.ok(final);
      assert.deepEqual(final.candidateTypes, []);
      for (const s of final.ice) assert.ok(s === 'new' || s === 'checking', `iceConnectionState ${s}`);
    });
  }
});
