// @needs chromium, janus
/**
 * A reload in a large (SFU) room, end to end: real Chromium, the real Parley server and a real
 * Janus. Three people open a `?large` room in the web app (fake cameras, all publishing through
 * the SFU); one reloads the page. They are back in the room without the name screen, the two
 * others decode their video again through the SFU (framesDecoded of the subscriber's track for
 * the reloaded person's tile rising from getStats), and the reloaded page decodes both others.
 * (This found a server bug: Janus's own unasked offer when a received publisher left wedged the
 * others' subscriber handles; subscribers now join with `autoupdate: false`.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Dialog, Page } from 'playwright-core';
import { janusEnv, startJanus, type TestJanus } from '../../helpers/janus.ts';
import { until } from '../../helpers/wait.ts';
import { type Person, webSuite } from '../../helpers/web.ts';

type AppRoom = { mode: string; sfu?: { subscriber?: RTCPeerConnection } };

/** Frames decoded through the SFU for each remote tile's own video track (0 when none). */
function sfuTileFrames(page: Page): Promise<Record<string, number>> {
  return page.evaluate(async () => {
    const room = (window as unknown as { parley: { room: AppRoom | null } }).parley.room;
    const pc = room?.sfu?.subscriber;
    const byTrack = new Map<string, number>();
    if (pc && pc.connectionState !== 'closed')
      for (const s of (await pc.getStats()).values())
        if (s.type === 'inbound-rtp' && s.kind === 'video')
          byTrack.set(s.trackIdentifier, s.framesDecoded ?? 0);
    const out: Record<string, number> = {};
    for (const fig of document.querySelectorAll<HTMLElement>('div.tile[data-peer]:not(.self):not(.screen)')) {
      const track = (fig.querySelector('video')?.srcObject as MediaStream | null)?.getVideoTracks()[0];
      out[fig.dataset.peer!] = track ? (byTrack.get(track.id) ?? 0) : 0;
    }
    return out;
  });
}

/** What the page's SFU side holds, for a failure message. */
function sfuState(page: Page): Promise<unknown> {
  return page.evaluate(async () => {
    const room = (
      window as unknown as { parley: { room: (AppRoom & { sfu?: { feeds?: readonly string[] } }) | null } }
    ).parley.room;
    const pc = room?.sfu?.subscriber;
    const inbound: unknown[] = [];
    if (pc)
      for (const s of (await pc.getStats()).values())
        if (s.type === 'inbound-rtp')
          inbound.push([s.kind, s.mid, s.trackIdentifier, s.framesDecoded, s.bytesReceived]);
    const tiles = [...document.querySelectorAll<HTMLElement>('div.tile[data-peer]')].map((f) => [
      f.dataset.peer,
      (f.querySelector('video')?.srcObject as MediaStream | null)
        ?.getVideoTracks()
        .map((t) => `${t.id}:${t.readyState}`),
    ]);
    return { mode: room?.mode, feeds: room?.sfu?.feeds, pc: pc?.connectionState, inbound, tiles };
  });
}

function roomMode(page: Page): Promise<string | undefined> {
  return page.evaluate(() => (window as unknown as { parley: { room: AppRoom | null } }).parley.room?.mode);
}

describe('web app › a reload in a large room (SFU, real Janus)', () => {
  let janus: TestJanus;
  const env: Record<string, string> = { PARLEY_RELOAD_GRACE_S: '4' };
  before(async () => {
    janus = await startJanus();
    Object.assign(env, janusEnv(janus));
  });
  const suite = webSuite(env);
  after(async () => {
    await janus?.close();
  });

  async function join(name: string, room: string): Promise<Person> {
    const p = await suite.person(name, { path: `/#/room/${room}?large` });
    // The browser asks before a page in a room is reloaded or closed: these people confirm.
    p.page.on('dialog', (d: Dialog) => void d.accept());
    return p;
  }

  /** Waits until `page` decodes every one of `names` through the SFU, past `above[name]`. */
  function decodes(page: Page, who: string, names: string[], above: Record<string, number> = {}) {
    return until(() => sfuTileFrames(page), {
      what: `${who} decodes ${names.join(' and ')} through the SFU`,
      timeoutMs: 45_000,
      intervalMs: 250,
      accept: (f) => names.every((n) => (f[n] ?? 0) >= (above[n] ?? 0) + 10),
      explain: () => sfuState(page),
    });
  }

  it('one of three reloads: back in the room, the others decode them again, and they decode the others', async () => {
    const room = 'reload-large';
    const [ada, bo, cy] = [await join('ada', room), await join('bo', room), await join('cy', room)];
    for (const p of [ada, bo, cy]) {
      await until(() => roomMode(p.page), {
        what: `${p.name} in the SFU room`,
        timeoutMs: 20_000,
        accept: (m) => m === 'sfu',
      });
    }
    await decodes(ada.page, 'ada', ['bo', 'cy']);
    const boBefore = await decodes(bo.page, 'bo', ['ada', 'cy']);
    const cyBefore = await decodes(cy.page, 'cy', ['ada', 'bo']);

    await ada.page.reload();
    // Back in the room, with no name screen, still through the SFU.
    await ada.page.getByRole('region', { name: 'Stage' }).waitFor({ timeout: 20_000 });
    assert.equal(await ada.page.getByLabel('Your name').count(), 0, 'no name screen after a reload');
    await until(() => roomMode(ada.page), {
      what: 'ada back in the SFU room',
      timeoutMs: 20_000,
      accept: (m) => m === 'sfu',
    });
    assert.ok(ada.page.url().includes(`#/room/${room}`), `ada is at the room: ${ada.page.url()}`);
    // The reloaded page decodes both others; both others decode ada's new publication.
    await decodes(ada.page, 'ada after the reload', ['bo', 'cy']);
    await decodes(bo.page, 'bo after the reload', ['ada'], { ada: 0 });
    await decodes(cy.page, 'cy after the reload', ['ada'], { ada: 0 });
    // Frames rise for ada's tile on the others past what they had before (a new track or more frames).
    const boAfter = await decodes(bo.page, 'bo, rising', ['ada', 'cy'], await sfuTileFrames(bo.page));
    const cyAfter = await decodes(cy.page, 'cy, rising', ['ada', 'bo'], await sfuTileFrames(cy.page));
    process.stdout.write(
      `# sfu reload: bo ${JSON.stringify(boBefore)} -> ${JSON.stringify(boAfter)}; cy ${JSON.stringify(cyBefore)} -> ${JSON.stringify(cyAfter)}\n`,
    );
    // Three people in the room for everyone, and nobody left.
    for (const p of [ada, bo, cy])
      await until(
        () => p.page.evaluate(() => document.querySelectorAll('div.tile[data-peer]:not(.screen)').length),
        { what: `${p.name} shows three tiles`, timeoutMs: 10_000, accept: (n) => n === 3 },
      );
  });
});
