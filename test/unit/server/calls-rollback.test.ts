/**
 * Calls › a request that fails part-way leaves no call behind. The relay here is a fake whose
 * delivery throws on demand (as a Redis outage or a frame that cannot be sent would), so the
 * rollback is proven without relying on any particular hostile input.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { MemoryCallStore } from '@parley/server';
import { Calls } from '../../../packages/server/src/calls/calls.ts';
import type { Directory } from '../../../packages/server/src/directory/directory.ts';
import type { Relay } from '../../../packages/server/src/relay/relay.ts';
import type { Session } from '../../../packages/server/src/session/session.ts';
import type { Frame } from '../../../packages/server/src/wire/frames.ts';

interface FakeSession {
  name: string;
  sent: Record<string, unknown>[];
  send(frame: Frame): void;
  log: { debug(): void; warn(): void; error(): void; info(): void };
}

const quiet = { debug() {}, warn() {}, error() {}, info() {} };

function fakeSession(name: string): FakeSession {
  const s: FakeSession = {
    name,
    sent: [],
    send: (frame) => {
      const msg = JSON.parse(frame.text) as Record<string, unknown>;
      assert.equal(msg.type, frame.type, 'a frame carries the type of its text');
      s.sent.push(msg);
    },
    log: quiet,
  };
  return s;
}

/** A relay delivering to the fake sessions; `failNext` makes the next N deliveries throw. */
function fakeRelay(sessions: Map<string, FakeSession>) {
  const relay = {
    failNext: 0,
    async deliver(name: string, frame: Frame): Promise<boolean> {
      if (relay.failNext > 0) {
        relay.failNext--;
        throw new Error('delivery failed');
      }
      const s = sessions.get(name);
      if (!s) return false;
      s.send(frame);
      return true;
    },
  };
  return relay;
}

const directory = { locate: async () => 'node-1' } as unknown as Directory;

let open: Calls[] = [];
afterEach(() => {
  for (const c of open) c.close();
  open = [];
});

function setup() {
  const store = new MemoryCallStore();
  const sessions = new Map<string, FakeSession>();
  for (const n of ['mallory', 'bob', 'carol']) sessions.set(n, fakeSession(n));
  const relay = fakeRelay(sessions);
  const calls = new Calls(store, relay as unknown as Relay, directory, 5);
  open.push(calls);
  const s = (n: string) => sessions.get(n)! as unknown as Session;
  return { store, sessions, relay, calls, s };
}

describe('Calls rollback', () => {
  it('Calls › an invite whose delivery throws leaves no call: the callee can be called and can call', async () => {
    const { store, sessions, relay, calls, s } = setup();
    relay.failNext = 1;
    await assert.rejects(calls.invite(s('mallory'), { type: 'call.invite', to: 'bob', data: { x: 1 } }));
    assert.equal(await store.callOf('bob'), null, 'bob is not left in a call');
    assert.equal(await store.callOf('mallory'), null, 'mallory is not left in a call');
    assert.deepEqual(sessions.get('bob')!.sent, [], 'bob heard nothing of the failed call');

    // carol can call bob, and it rings (not busy).
    await calls.invite(s('carol'), { type: 'call.invite', id: 1, to: 'bob' });
    const ringing = sessions.get('carol')!.sent.at(-1)!;
    assert.equal(ringing.type, 'call.ringing');
    assert.equal(sessions.get('bob')!.sent.at(-1)!.type, 'call.incoming');
    await calls.hangup(s('bob'), { type: 'call.hangup', call: ringing.call as string });
    assert.equal(sessions.get('carol')!.sent.at(-1)!.reason, 'hangup');

    // bob can call mallory.
    await calls.invite(s('bob'), { type: 'call.invite', to: 'mallory' });
    assert.equal(sessions.get('bob')!.sent.at(-1)!.type, 'call.ringing');
  });

  it('Calls › an invite whose reply to the caller throws is rolled back and the rung callee is told it ended', async () => {
    const { store, sessions, calls, s } = setup();
    const mallory = sessions.get('mallory')!;
    const realSend = mallory.send;
    mallory.send = () => {
      throw new Error('socket gone');
    };
    await assert.rejects(calls.invite(s('mallory'), { type: 'call.invite', to: 'bob' }));
    mallory.send = realSend;
    assert.equal(await store.callOf('bob'), null);
    const bob = sessions.get('bob')!.sent;
    assert.deepEqual(
      bob.map((f) => [f.type, f.reason]),
      [
        ['call.incoming', undefined],
        ['call.ended', 'cancelled'],
      ],
      'bob was rung, then told the call is over (both sides end cleanly)',
    );
    assert.equal(bob[0]!.call, bob[1]!.call);
    await calls.invite(s('carol'), { type: 'call.invite', to: 'bob' });
    assert.equal(sessions.get('carol')!.sent.at(-1)!.type, 'call.ringing');
  });

  it('Calls › an accept whose delivery to the caller throws ends the call for both instead of leaving it half-known', async () => {
    const { store, sessions, relay, calls, s } = setup();
    await calls.invite(s('mallory'), { type: 'call.invite', to: 'bob' });
    const call = sessions.get('mallory')!.sent.at(-1)!.call as string;
    relay.failNext = 1;
    await assert.rejects(calls.accept(s('bob'), { type: 'call.accept', call }));
    assert.equal(await store.get(call), null, 'the call is gone');
    assert.equal(sessions.get('bob')!.sent.at(-1)!.type, 'call.ended');
    assert.equal(sessions.get('mallory')!.sent.at(-1)!.type, 'call.ended');
    await calls.invite(s('bob'), { type: 'call.invite', to: 'carol' });
    assert.equal(sessions.get('bob')!.sent.at(-1)!.type, 'call.ringing');
  });

  it('Calls › a hangup whose delivery to one party throws still removes the call and tells the other', async () => {
    const { store, sessions, relay, calls, s } = setup();
    await calls.invite(s('mallory'), { type: 'call.invite', to: 'bob' });
    const call = sessions.get('mallory')!.sent.at(-1)!.call as string;
    await calls.accept(s('bob'), { type: 'call.accept', call });
    relay.failNext = 1;
    await assert.rejects(calls.hangup(s('bob'), { type: 'call.hangup', id: 7, call }));
    assert.equal(await store.get(call), null);
    const mine = sessions.get('bob')!.sent.at(-1)!;
    assert.equal(mine.type, 'call.ended');
    assert.equal(mine.re, 7);
  });
});
