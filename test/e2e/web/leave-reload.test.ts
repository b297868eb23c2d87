// @needs chromium
/**
 * Leaving is deliberate, and presence tells the truth (issue 20, points 2 and 9), in Chromium: a
 * reload mid-call takes the call up again with video decoded both ways (getStats framesDecoded
 * rising on both sides after the reload) and the other side never sees "hung up"; Back and the
 * logo ask first ("Stay" keeps the call or room); a closed tab's name is offline and free within
 * 5 s.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dialog, Page } from 'playwright-core';
import { pollPage } from '../../helpers/browser.ts';
import { type Person, webSuite } from '../../helpers/web.ts';

/** Video frames decoded on the app's live peer connections, once above `above`. */
async function framesDecodedAbove(page: Page, above: number): Promise<number> {
  await page.evaluate((v) => {
    (window as unknown as { __above: number }).__above = v;
  }, above);
  return pollPage(
    page,
    async () => {
      const min = (window as unknown as { __above: number }).__above;
      const links = (window as unknown as { parley: { links: { peer: { pc: RTCPeerConnection } }[] } }).parley
        .links;
      for (const link of links) {
        if (link.peer.pc.connectionState === 'closed') continue;
        const stats = await link.peer.pc.getStats();
        for (const s of stats.values())
          if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > min)
            return s.framesDecoded as number;
      }
      return 0;
    },
    { timeoutMs: 25_000, what: `more than ${above} decoded video frames` },
  );
}

describe('web app › leaving and reloading', () => {
  const suite = webSuite({ PARLEY_RELOAD_GRACE_S: '4' });

  async function person(name: string, path = '/'): Promise<Person> {
    const p = await suite.person(name, { path });
    // The browser asks before a page in a call is reloaded or closed: these people confirm.
    p.page.on('dialog', (d: Dialog) => void d.accept());
    return p;
  }

  async function inCall(a: Person, b: Person): Promise<void> {
    await a.page.getByRole('heading', { name: `Hello, ${a.name}` }).waitFor();
    await b.page.getByRole('heading', { name: `Hello, ${b.name}` }).waitFor();
    await a.page.getByRole('button', { name: `Call ${b.name}` }).click();
    const ring = b.page.getByRole('dialog', { name: `Incoming call from ${a.name}` });
    await ring.getByRole('button', { name: 'Accept' }).click();
    assert.ok((await framesDecodedAbove(a.page, 10)) > 10);
    assert.ok((await framesDecodedAbove(b.page, 10)) > 10);
  }

  it('a reload mid-call takes the call up again: video decoded both ways after it, and nobody is told "hung up"', async () => {
    const alice = await person('rl-alice');
    const bob = await person('rl-bob');
    await inCall(alice, bob);
    await alice.page.reload();
    await bob.page.getByText('rl-alice left the page (a reload?)', { exact: false }).waitFor();
    // After the reload: new peer connections on both sides, frames rising on each.
    const a1 = await framesDecodedAbove(alice.page, 10);
    const b1 = await framesDecodedAbove(bob.page, 0);
    const a2 = await framesDecodedAbove(alice.page, a1);
    const b2 = await framesDecodedAbove(bob.page, b1);
    assert.ok(a2 > a1 && b2 > b1, `frames rise after the reload: alice ${a1}→${a2}, bob ${b1}→${b2}`);
    assert.equal(await bob.page.getByText('hung up').count(), 0, 'bob never sees "hung up"');
    assert.equal(await alice.page.getByLabel('Your name').count(), 0, 'no name screen after a reload');
    assert.equal(
      await bob.page.evaluate(
        () => (window as unknown as { parley: { call: { state: string } } }).parley.call.state,
      ),
      'connected',
    );
    // A deliberate hang-up after the reload still ends it for both.
    await alice.page
      .getByRole('button', { name: /^(Leave|Hang up)/ })
      .first()
      .click();
    await bob.page.getByText('rl-alice hung up.').first().waitFor();
  });

  it('Back and the logo ask first: Stay keeps the room and the call; Leave leaves', async () => {
    const ann = await person('nv-ann', '/#/room/nav');
    await ann.page.getByRole('heading', { name: 'Waiting for others to join' }).waitFor();
    await ann.page.goBack();
    const ask = ann.page.getByRole('dialog', { name: 'Leave the room?' });
    await ask.waitFor();
    await ask.getByRole('button', { name: 'Stay' }).click();
    await ask.waitFor({ state: 'detached' });
    assert.equal(await ann.page.getByRole('heading', { name: 'Waiting for others to join' }).count(), 1);
    assert.ok(ann.page.url().includes('#/room/nav'), `still at the room: ${ann.page.url()}`);
    await ann.page.getByRole('link', { name: 'Parley, home' }).click();
    await ask.getByRole('button', { name: 'Leave' }).click();
    await ann.page.getByRole('heading', { name: 'Hello, nv-ann' }).waitFor();

    const ben = await person('nv-ben');
    await inCall(ann, ben);
    await ann.page.getByRole('link', { name: 'Parley, home' }).click();
    const askCall = ann.page.getByRole('dialog', { name: 'Leave the call?' });
    await askCall.getByRole('button', { name: 'Stay' }).click();
    const before = await framesDecodedAbove(ben.page, 10);
    assert.ok((await framesDecodedAbove(ben.page, before)) > before, 'the call goes on after Stay');
    await ann.page.getByRole('link', { name: 'Parley, home' }).click();
    await askCall.getByRole('button', { name: 'Leave' }).click();
    await ben.page.getByText('nv-ann hung up.').first().waitFor();
  });

  it('a closed tab is offline within 5 s and its name can be taken again', async () => {
    const watcher = await person('ct-watch');
    const gone = await person('ct-gone');
    await watcher.page.getByRole('heading', { name: 'Hello, ct-watch' }).waitFor();
    await gone.page.getByRole('heading', { name: 'Hello, ct-gone' }).waitFor();
    const list = watcher.page.getByRole('list', { name: 'People online' });
    await list.getByText('ct-gone').waitFor();
    const t0 = Date.now();
    await gone.page.close({ runBeforeUnload: true });
    await list.getByText('ct-gone').waitFor({ state: 'detached', timeout: 5_000 });
    const offlineMs = Date.now() - t0;
    assert.ok(offlineMs < 5_000, `offline after ${offlineMs} ms`);
    const again = await person('ct-gone');
    await again.page.getByRole('heading', { name: 'Hello, ct-gone' }).waitFor();
  });
});
