import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Call } from '../../../packages/client/src/call.ts';
import type { MissedCall } from '../../../packages/client/src/client.ts';
import type { WakeReason } from '../../../packages/client/src/signaling/wake-signals.ts';
import { until } from '../../helpers/wait.ts';
import type { FakePeerConnection } from './fake-peer-connection.ts';
import { closeClients, onFakes, openClient } from './fakes.ts';

afterEach(closeClients);

describe('ParleyClient › reachability', () => {
  it('tells the caller whether the callee is reached or being reached, and updates it', async () => {
    const { client, s } = await openClient();
    const calling = client.call('bob', { media: false });
    await until(() => s.last('call.invite'), { ...onFakes, what: 'invite' });
    s.push({ type: 'call.ringing', re: s.last('call.invite')?.id, call: 'r1', to: 'bob', reach: 'reaching' });
    const call = await calling;
    assert.equal(call.reach, 'reaching');
    const seen: unknown[] = [];
    call.on('rings', (reach) => seen.push(reach));
    s.push({ type: 'call.ringing', call: 'r1', to: 'bob', reach: 'ringing' });
    assert.equal(call.reach, 'ringing');
    assert.deepEqual(seen, ['ringing']);
  });

  it('gives an incoming call its ring deadline and renews it when the server rings again', async () => {
    const { client, s } = await openClient();
    const calls: Call[] = [];
    client.on('incoming', (c) => calls.push(c));
    const before = Date.now();
    s.push({ type: 'call.incoming', call: 'r2', from: 'bob', ringMs: 30_000 });
    assert.equal(calls.length, 1);
    const call = calls[0] as Call;
    assert.ok(call.ringsUntil !== null && call.ringsUntil >= before + 30_000);
    // After a resume: the queued incoming came first, then the server's renewal.
    s.push({ type: 'call.incoming', call: 'r2', from: 'bob', ringMs: 4_000 });
    assert.equal(calls.length, 1, 'the same call, not a second one');
    assert.ok(call.ringsUntil !== null && call.ringsUntil <= Date.now() + 4_000);
  });

  it('emits missed-call for an incoming call that ended unanswered, not for declined or answered ones', async () => {
    const { client, s } = await openClient();
    const missed: MissedCall[] = [];
    client.on('missed-call', (m) => missed.push(m));
    const incoming: Call[] = [];
    client.on('incoming', (c) => incoming.push(c));
    s.push({ type: 'call.incoming', call: 'm1', from: 'bob' });
    s.push({ type: 'call.ended', call: 'm1', peer: 'bob', reason: 'no_answer' });
    s.push({ type: 'call.incoming', call: 'm2', from: 'cat' });
    s.push({ type: 'call.ended', call: 'm2', peer: 'cat', reason: 'cancelled', by: 'cat' });
    s.push({ type: 'call.incoming', call: 'm3', from: 'dan' });
    const declining = (incoming[2] as Call).decline();
    await until(() => s.last('call.decline'), { ...onFakes, what: 'decline sent' });
    s.push({
      type: 'call.ended',
      re: s.last('call.decline')?.id,
      call: 'm3',
      peer: 'dan',
      reason: 'declined',
      by: 'alice',
    });
    await declining;
    assert.deepEqual(
      missed.map((m) => [m.call, m.from, m.reason]),
      [
        ['m1', 'bob', 'no_answer'],
        ['m2', 'cat', 'cancelled'],
      ],
    );
  });

  it('restarts ICE on live calls when the page is back online', async () => {
    const hub: { wake: ((r: WakeReason) => void) | null } = { wake: null };
    const { client, s } = await openClient({
      wakeSource: (fn) => {
        hub.wake = fn;
        return () => {};
      },
    });
    const calls: Call[] = [];
    client.on('incoming', (c) => calls.push(c));
    s.push({ type: 'call.incoming', call: 'n1', from: 'bob' });
    const accepting = (calls[0] as Call).accept({ media: false });
    await until(() => s.last('call.accept'), { ...onFakes, what: 'accept sent' });
    s.push({ type: 'call.accepted', re: s.last('call.accept')?.id, call: 'n1', peer: 'bob' });
    await accepting;
    const pc = calls[0]?.peer?.pc as unknown as FakePeerConnection;
    assert.equal(pc.restartIceCalls, 0);
    hub.wake?.('visible');
    assert.equal(pc.restartIceCalls, 0, 'becoming visible does not touch media');
    hub.wake?.('online');
    assert.equal(pc.restartIceCalls, 1);
  });
});
