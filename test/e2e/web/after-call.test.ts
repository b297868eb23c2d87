// @needs chromium
/**
 * What a call leaves behind and what people see of each other, end to end in Chromium: the chat
 * and a received file are still there after hang-up (and the file downloads, same SHA-256); the
 * People tab lists everyone with join times and who speaks; reactions reach the other side and
 * are rate-limited at the receiver; a late joiner of a three-person mesh room sees the recent
 * chat, each line from its author, and a forged batch is dropped; the preview before joining shows
 * video and offers devices; a blocked camera says so and the call goes on with sound only.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { pollPage } from '../../helpers/browser.ts';
import { type Person, screenshot, webSuite } from '../../helpers/web.ts';

interface AppLinks {
  parley: {
    links: {
      name: string;
      peer: { pc: RTCPeerConnection };
      chat: { sendApp(kind: string, data: unknown): void; state: string };
    }[];
  };
}

/** Inbound media of `kind` on any of the page's peer connections (bytes, frames decoded). */
function inbound(page: Page, kind: 'audio' | 'video'): Promise<{ bytes: number; frames: number }> {
  return page.evaluate(async (k) => {
    let bytes = 0;
    let frames = 0;
    for (const link of (window as unknown as AppLinks).parley.links) {
      for (const s of (await link.peer.pc.getStats()).values())
        if (s.type === 'inbound-rtp' && s.kind === k) {
          bytes += s.bytesReceived ?? 0;
          frames += s.framesDecoded ?? 0;
        }
    }
    return { bytes, frames };
  }, kind);
}

/** Sends a raw `app` message on every chat channel of the page (as a modified client would). */
function sendRawApp(page: Page, kind: string, data: unknown, times = 1): Promise<void> {
  return page.evaluate(
    ({ kind, data, times }) => {
      for (const link of (window as unknown as AppLinks).parley.links)
        for (let i = 0; i < times; i++) link.chat.sendApp(kind, data);
    },
    { kind, data, times },
  );
}

/** The reaction rate of packages/web/src/app/reactions.ts (`REACTION_RATE`): a burst, then one a second. */
const REACTION_BURST = 5;
const REACTION_REFILL_MS = 1000;

describe('web app › after the call, people, reactions, history, preview', () => {
  const suite = webSuite();

  async function person(name: string, path = '/'): Promise<Person> {
    const p = await suite.person(name, { path });
    if (path === '/') await p.page.getByRole('heading', { name: `Hello, ${name}` }).waitFor();
    return p;
  }

  async function call(from: Person, to: Person): Promise<void> {
    await from.page.getByRole('button', { name: `Call ${to.name}` }).click();
    const ring = to.page.getByRole('dialog', { name: `Incoming call from ${from.name}` });
    await ring.getByRole('button', { name: 'Accept' }).click();
    await pollPage(
      from.page,
      () => (document.querySelector('.call-timer') as HTMLElement | null)?.hidden === false,
      {
        what: 'the call timer',
      },
    );
  }

  it('keeps the chat and a received file after hang-up; saved, then dismissed', async () => {
    const ann = await person('ann');
    const ben = await person('ben');
    await call(ann, ben);
    // The timer runs on both sides.
    const timer = ben.page.getByRole('timer', { name: 'Call duration' });
    await timer.waitFor();
    assert.match((await timer.textContent()) ?? '', /^\d+:\d\d$/);

    await ann.page.getByRole('textbox', { name: 'Message' }).fill('Here are the slides');
    await ann.page.getByRole('textbox', { name: 'Message' }).press('Enter');
    await ben.page.getByRole('log', { name: 'Chat messages' }).getByText('Here are the slides').waitFor();
    const content = randomBytes(200 * 1024 + 7);
    const sha = createHash('sha256').update(content).digest('hex');
    await ann.page
      .getByLabel('Choose files to send')
      .setInputFiles({ name: 'slides.bin', mimeType: 'application/octet-stream', buffer: content });
    const first = ben.page.waitForEvent('download', { timeout: 30_000 });
    await ben.page.getByRole('button', { name: 'Accept slides.bin' }).click();
    await first;
    await ann.page.getByRole('article', { name: 'File slides.bin' }).getByText('Sent and verified').waitFor();

    // Ann hangs up: Ben is home, and the conversation is still there.
    await ann.page.getByRole('button', { name: 'Hang up' }).click();
    await ben.page.getByRole('heading', { name: 'Hello, ben' }).waitFor();
    const record = ben.page.getByRole('article', { name: 'Call with ann' });
    await record.waitFor();
    await record.getByText('Here are the slides').waitFor();
    await screenshot(ben.page, 'after-call');
    const download = ben.page.waitForEvent('download', { timeout: 10_000 });
    await record.getByRole('link', { name: 'Save slides.bin' }).click();
    const saved = await download;
    assert.equal(saved.suggestedFilename(), 'slides.bin');
    assert.equal(
      createHash('sha256')
        .update(readFileSync(await saved.path()))
        .digest('hex'),
      sha,
    );
    // The caller keeps it too (their own text, the file marked as sent).
    const annRecord = ann.page.getByRole('article', { name: 'Call with ben' });
    await annRecord.getByText('Here are the slides').waitFor();
    await annRecord.getByText('Sent to ben').waitFor();

    // Dismiss: gone, and the file's URL no longer works.
    const url = await record.getByRole('link', { name: 'Save slides.bin' }).getAttribute('href');
    assert.ok(url?.startsWith('blob:'));
    await record.getByRole('button', { name: 'Dismiss Call with ann' }).click();
    await record.waitFor({ state: 'detached' });
    const fetchable = await ben.page.evaluate(
      (u) =>
        fetch(u).then(
          () => true,
          () => false,
        ),
      url!,
    );
    assert.equal(fetchable, false, 'the object URL was revoked');
  });

  it('lists people with join times and speaking, and shows reactions, rate-limited', async () => {
    const cat = await person('cat');
    const dan = await person('dan');
    await call(cat, dan);
    await dan.page.getByRole('tab', { name: 'People' }).click();
    const list = dan.page.getByRole('list', { name: /^People \(2\)$/ });
    await list.waitFor();
    await list.getByRole('listitem', { name: /^dan \(you\), joined \d/ }).waitFor();
    await list.getByRole('listitem', { name: /^cat, joined \d/ }).waitFor();
    // Chromium's fake microphone beeps: cat is seen speaking now and then.
    await pollPage(
      dan.page,
      () => document.querySelector('.person[data-name="cat"][data-speaking="true"]') !== null,
      {
        timeoutMs: 15_000,
        what: 'cat marked as speaking',
      },
    );
    await screenshot(dan.page, 'people');

    // A reaction from the toolbar reaches the other side, announced politely.
    await cat.page.getByRole('button', { name: 'React with celebration' }).click();
    const celebratedAt = Date.now();
    await dan.page.locator('.reaction-burst[data-from="cat"][data-emoji="🎉"]').first().waitFor();
    await pollPage(
      dan.page,
      () => document.getElementById('status')?.textContent === 'cat reacted: celebration',
      {
        what: 'the announcement',
      },
    );

    // A modified client floods 200 reactions and junk: the receiver shows at most a burst.
    await dan.page.evaluate(() => {
      (window as unknown as { __bursts: number }).__bursts = 0;
      new MutationObserver((records) => {
        for (const r of records)
          for (const n of r.addedNodes)
            if (n instanceof HTMLElement && n.dataset.from === 'cat')
              (window as unknown as { __bursts: number }).__bursts++;
      }).observe(document.querySelector('.reaction-layer')!, { childList: true });
    });
    await sendRawApp(cat.page, 'parley.reaction', { emoji: '<b>x</b>' }, 5);
    await sendRawApp(cat.page, 'parley.reaction', { emoji: '👍', from: 'dan' }, 5);
    await sendRawApp(cat.page, 'parley.reaction', { emoji: '👍' }, 200);
    // The channel is ordered: once a later text arrived, every reaction before it did too.
    await cat.page.getByRole('textbox', { name: 'Message' }).fill('after the flood');
    await cat.page.getByRole('textbox', { name: 'Message' }).press('Enter');
    await dan.page.getByRole('tab', { name: 'Chat' }).click();
    await dan.page.getByRole('log', { name: 'Chat messages' }).getByText('after the flood').waitFor();
    const shown = await dan.page.evaluate(() => (window as unknown as { __bursts: number }).__bursts);
    assert.ok(shown >= 4 && shown <= 7, `a flood of 200 shows a bounded burst (${shown})`);
    assert.equal(await dan.page.locator('.reaction-burst[data-emoji="<b>x</b>"]').count(), 0);

    // The sender's own button is limited too: twelve quick presses, one burst (the bucket's size).
    // The celebration above took a token: the bucket is full again one refill later (on a quick
    // machine the test gets here sooner, and the burst was one short: seen in CI).
    const refilledIn = REACTION_REFILL_MS - (Date.now() - celebratedAt);
    if (refilledIn > 0) await new Promise((r) => setTimeout(r, refilledIn + 50));
    const own = await cat.page.evaluate(() => {
      const button = document.querySelector<HTMLButtonElement>('button[aria-label="React with thumbs up"]')!;
      for (let i = 0; i < 12; i++) button.click();
      return document.querySelectorAll('.reaction-burst[data-from="cat"][data-emoji="👍"]').length;
    });
    assert.equal(own, REACTION_BURST, 'the sender shows (and sends) only a burst');
  });

  it('a late joiner of a three-person mesh room sees the recent chat, each line from its author', async () => {
    const eve = await person('eve', '/#/room/history');
    await eve.page.getByRole('heading', { name: 'Waiting for others to join' }).waitFor();
    const fay = await person('fay', '/#/room/history');
    await eve.page.getByRole('group', { name: 'fay', exact: true }).waitFor();
    await fay.page.getByRole('group', { name: 'eve', exact: true }).waitFor();
    const say = async (p: Person, text: string) => {
      await p.page.getByRole('textbox', { name: 'Message' }).fill(text);
      await p.page.getByRole('textbox', { name: 'Message' }).press('Enter');
    };
    await say(eve, 'first from eve');
    await fay.page.getByRole('log', { name: 'Chat messages' }).getByText('first from eve').waitFor();
    await say(fay, 'then fay');
    await eve.page.getByRole('log', { name: 'Chat messages' }).getByText('then fay').waitFor();
    await say(eve, 'and eve again');
    await fay.page.getByRole('log', { name: 'Chat messages' }).getByText('and eve again').waitFor();

    const gus = await person('gus', '/#/room/history');
    // History travels on the chat channels: wait for them (under heavy machine load, 3-way
    // connections took ~50 s here).
    await pollPage(
      gus.page,
      async () => {
        let open = 0;
        for (const link of (window as unknown as AppLinks).parley.links)
          if (link.chat.state === 'open') open++;
        return open >= 2;
      },
      { timeoutMs: 90_000, what: 'chat channels open' },
    );
    const earlier = gus.page.getByRole('region', { name: 'Before you joined' });
    await earlier.getByText('and eve again').waitFor();
    await earlier.getByText('then fay').waitFor();
    const lines = await earlier
      .locator('.msg')
      .evaluateAll((els) =>
        els.map((e) => `${(e as HTMLElement).dataset.from}: ${e.querySelector('.msg-body')?.textContent}`),
      );
    assert.deepEqual(lines, ['eve: first from eve', 'fay: then fay', 'eve: and eve again']);
    await screenshot(gus.page, 'room-history');

    // Fay, modified, sends gus a batch claiming a line from eve, and a repeat of her own: the
    // forged one is refused whole, the repeat not shown twice.
    await sendRawApp(fay.page, 'parley.history', {
      messages: [{ id: 'x1', text: 'eve says you are fired', ts: Date.now(), from: 'eve' }],
    });
    await sendRawApp(fay.page, 'parley.history', {
      messages: [{ id: 'forged-by-fay', text: 'a line of fay', ts: Date.now() - 1000 }],
    });
    await earlier.getByText('a line of fay').waitFor();
    assert.equal(await gus.page.getByText('eve says you are fired').count(), 0);
    assert.equal(
      await earlier.locator('.msg', { hasText: 'a line of fay' }).getAttribute('data-from'),
      'fay',
      'a line is shown as from the channel it came on',
    );
    assert.equal(await earlier.getByText('then fay').count(), 1);

    // The participant list has the three of them.
    // (noWaitAfter: Playwright otherwise waits for a navigation that never comes in a room page.)
    await gus.page.getByRole('tab', { name: 'People' }).click({ noWaitAfter: true });
    await gus.page.getByRole('list', { name: 'People (3)' }).waitFor();

    // Leaving the room keeps its chat too, history included.
    await gus.page.getByRole('button', { name: 'Leave room' }).click();
    const record = gus.page.getByRole('article', { name: 'Room history' });
    await record.getByText('first from eve').waitFor();
    await record.getByText('before you joined', { exact: false }).first().waitFor();
  });

  it('the preview before joining shows video and offers the devices', async () => {
    const hal = await person('hal');
    await pollPage(
      hal.page,
      () => (document.querySelector('.preview video') as HTMLVideoElement)?.videoWidth > 0,
      {
        what: 'the preview playing',
      },
    );
    await hal.page.getByRole('button', { name: 'Choose camera, microphone and speaker' }).click();
    const dialog = hal.page.getByRole('dialog', { name: 'Devices' });
    const camera = dialog.getByLabel('Camera');
    await camera.waitFor();
    assert.ok((await camera.locator('option').count()) >= 1);
    await camera.selectOption({ index: 0 });
    await dialog.getByRole('button', { name: 'Done' }).click();
    const remembered = await hal.page.evaluate(() => localStorage.getItem('parley.camera'));
    assert.ok(remembered, 'the chosen camera is remembered');
    await pollPage(
      hal.page,
      () => (document.querySelector('.preview video') as HTMLVideoElement)?.videoWidth > 0,
      {
        what: 'the preview playing the chosen camera',
      },
    );
  });

  it('a blocked camera says so and how to allow it; the call goes on with sound only', async () => {
    const ivy = await person('ivy');
    const context = await suite.browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['microphone'], { origin: suite.server.url });
    // The camera is refused (as a person blocking it in the address bar would); the microphone works.
    await context.addInitScript(() => {
      const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = (c?: MediaStreamConstraints) =>
        c?.video ? Promise.reject(new DOMException('Permission denied', 'NotAllowedError')) : original(c);
    });
    const page = await context.newPage();
    suite.keep({ name: 'jay', context, page });
    await page.goto(`${suite.server.url}/`);
    await page.getByLabel('Your name').fill('jay');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Hello, jay' }).waitFor();
    await page.getByText('Your camera is blocked').waitFor();
    await page.getByText('You will join with sound only.').waitFor();
    await page.getByText('left of the address bar', { exact: false }).waitFor();
    assert.equal(await page.getByText('Your camera is ready').count(), 0);
    await screenshot(page, 'camera-blocked');

    await page.getByRole('button', { name: 'Call ivy' }).click();
    await ivy.page
      .getByRole('dialog', { name: 'Incoming call from jay' })
      .getByRole('button', { name: 'Accept' })
      .click();
    await pollPage(
      ivy.page,
      () => (document.querySelector('.call-timer') as HTMLElement | null)?.hidden === false,
      {
        what: 'the call connected',
      },
    );
    let audio = { bytes: 0, frames: 0 };
    for (let i = 0; i < 100 && audio.bytes < 2000; i++) {
      audio = await inbound(ivy.page, 'audio');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(audio.bytes >= 2000, `ivy hears jay (${audio.bytes} bytes of audio)`);
    assert.equal((await inbound(ivy.page, 'video')).frames, 0, 'and gets no video from jay');
  });
});
