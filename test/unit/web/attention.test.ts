/**
 * Getting attention in a background tab (packages/web/src/app/attention.ts): the ring's tab title
 * flashes only while hidden and is put back after; the wake lock is held while wanted, released
 * after, taken again on return, and never fails anything; the missed-call list; when to offer
 * and raise notifications.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_MISSED_CALLS,
  MissedCalls,
  notificationOffer,
  RingTitle,
  shouldNotify,
  type Timers,
  type WakeLockHandle,
  WakeLockHolder,
} from '../../../packages/web/src/app/attention.ts';

/** A page title and visibility, and timers fired by hand. */
function fakePage(hidden: boolean) {
  const page = { title: 'Parley', hidden };
  let tick: (() => void) | null = null;
  let cleared = 0;
  const timers: Timers = {
    setInterval: (fn) => {
      tick = fn;
      return 1;
    },
    clearInterval: () => {
      tick = null;
      cleared++;
    },
  };
  return {
    page,
    timers,
    tick: () => tick?.(),
    get running() {
      return tick !== null;
    },
    get cleared() {
      return cleared;
    },
  };
}

describe('web attention › ring title', () => {
  it('flashes "Call from bob" with the normal title while hidden, and puts the title back at the end', () => {
    const f = fakePage(true);
    const ring = new RingTitle(f.page, f.timers, 'bob');
    assert.equal(f.page.title, '📞 Call from bob');
    assert.equal(ring.flashing, true);
    f.tick();
    assert.equal(f.page.title, 'Parley');
    f.tick();
    assert.equal(f.page.title, '📞 Call from bob');
    ring.end();
    assert.equal(f.page.title, 'Parley');
    assert.equal(f.running, false);
    assert.equal(ring.flashing, false);
  });

  it('shows a steady title while visible, and stops flashing when the tab is shown', () => {
    const f = fakePage(false);
    const ring = new RingTitle(f.page, f.timers, 'bob');
    assert.equal(f.page.title, '📞 bob is calling · Parley');
    assert.equal(f.running, false);
    f.page.hidden = true;
    ring.update();
    assert.equal(f.page.title, '📞 Call from bob');
    ring.update(); // a repeated event starts no second timer
    assert.equal(f.cleared, 0);
    f.page.hidden = false;
    ring.update();
    assert.equal(f.page.title, '📞 bob is calling · Parley');
    assert.equal(f.running, false);
    ring.end();
    assert.equal(f.page.title, 'Parley');
  });

  it('a tick after the tab was shown (event missed) stops the flash; nothing happens after the end', () => {
    const f = fakePage(true);
    const ring = new RingTitle(f.page, f.timers, 'bob');
    f.page.hidden = false;
    f.tick();
    assert.equal(f.running, false);
    assert.equal(f.page.title, '📞 bob is calling · Parley');
    ring.end();
    ring.end();
    f.page.hidden = true;
    ring.update();
    assert.equal(f.page.title, 'Parley');
    assert.equal(f.running, false);
  });
});

/** A wake-lock API that counts requests and can refuse. */
function fakeWakeLock() {
  const locks: (WakeLockHandle & { released: boolean })[] = [];
  const env = {
    hidden: false,
    refuse: false,
    request: async (): Promise<WakeLockHandle> => {
      if (env.refuse) throw new Error('NotAllowedError');
      const lock = {
        released: false,
        release: async () => {
          lock.released = true;
        },
      };
      locks.push(lock);
      return lock;
    },
  };
  return { env, locks };
}

describe('web attention › wake lock', () => {
  it('is held while a reason wants it and released when the last reason goes', async () => {
    const { env, locks } = fakeWakeLock();
    const holder = new WakeLockHolder(env);
    await holder.hold('call');
    await holder.hold('transfer');
    assert.equal(holder.held, true);
    assert.equal(locks.length, 1, 'one lock for overlapping reasons');
    await holder.letGo('call');
    assert.equal(holder.held, true, 'the transfer still wants it');
    await holder.letGo('transfer');
    assert.equal(holder.held, false);
    assert.equal(locks[0]?.released, true);
  });

  it('is taken again when the tab shows after the browser dropped it', async () => {
    const { env, locks } = fakeWakeLock();
    const holder = new WakeLockHolder(env);
    await holder.hold('call');
    // Hidden: the browser releases the lock; a request now would fail, so none is made.
    env.hidden = true;
    if (locks[0]) locks[0].released = true;
    await holder.visible();
    assert.equal(locks.length, 1);
    env.hidden = false;
    await holder.visible();
    assert.equal(locks.length, 2);
    assert.equal(holder.held, true);
    // Shown again while the lock is held: no second request.
    await holder.visible();
    assert.equal(locks.length, 2);
  });

  it('does nothing without the API, when refused, or when nothing wants it', async () => {
    const none = new WakeLockHolder({ request: null, hidden: false });
    await none.hold('call');
    assert.equal(none.held, false);
    await none.letGo('call');

    const { env, locks } = fakeWakeLock();
    const holder = new WakeLockHolder(env);
    await holder.visible();
    assert.equal(locks.length, 0, 'no request while nothing wants it');
    env.refuse = true;
    await holder.hold('call');
    assert.equal(holder.held, false);
    env.refuse = false;
    await holder.visible();
    assert.equal(holder.held, true, 'a later chance takes it');
  });

  it('releases a lock granted after the reason was already let go', async () => {
    const { env, locks } = fakeWakeLock();
    const holder = new WakeLockHolder(env);
    const asking = holder.hold('call');
    const letting = holder.letGo('call');
    await Promise.all([asking, letting]);
    assert.equal(holder.held, false);
    assert.equal(locks[0]?.released, true);
  });
});

describe('web attention › missed calls', () => {
  it('lists newest first, once per call, dismissable, and tells listeners', () => {
    const list = new MissedCalls();
    let changes = 0;
    const off = list.onChange(() => changes++);
    assert.equal(list.add({ call: 'c1', from: 'bob', at: 1_000 }), true);
    assert.equal(list.add({ call: 'c2', from: 'carol', at: 2_000 }), true);
    assert.equal(list.add({ call: 'c1', from: 'bob', at: 3_000 }), false, 'the same call twice');
    assert.deepEqual(
      list.entries.map((e) => e.call),
      ['c2', 'c1'],
    );
    list.dismiss('c2');
    list.dismiss('nope');
    assert.deepEqual(
      list.entries.map((e) => e.call),
      ['c1'],
    );
    assert.equal(changes, 3);
    off();
    list.clear();
    assert.equal(list.entries.length, 0);
    assert.equal(changes, 3);
  });

  it(`keeps at most ${MAX_MISSED_CALLS}, dropping the oldest`, () => {
    const list = new MissedCalls();
    for (let i = 0; i < MAX_MISSED_CALLS + 5; i++) list.add({ call: `c${i}`, from: 'bob', at: i });
    assert.equal(list.entries.length, MAX_MISSED_CALLS);
    assert.equal(list.entries[0]?.call, `c${MAX_MISSED_CALLS + 4}`);
    assert.equal(list.entries.at(-1)?.call, 'c5');
  });
});

describe('web attention › notifications', () => {
  it('offers "Ring me in the background" only while never asked', () => {
    assert.equal(notificationOffer('default'), true);
    for (const p of ['granted', 'denied', 'unsupported'] as const) assert.equal(notificationOffer(p), false);
  });

  it('raises a notification only when allowed and the tab is hidden', () => {
    assert.equal(shouldNotify('granted', true), true);
    assert.equal(shouldNotify('granted', false), false);
    assert.equal(shouldNotify('default', true), false);
    assert.equal(shouldNotify('denied', true), false);
    assert.equal(shouldNotify('unsupported', true), false);
  });
});
