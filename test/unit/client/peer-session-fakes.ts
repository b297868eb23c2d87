/**
 * PeerSessions on fake connections for the session's unit tests (peer-session*.test.ts,
 * ice-restart-crossing.test.ts): one session, or two wired back to back. Every session made
 * here is listed in `sessions`; call `closeSessions` after each test. Imports the session and
 * the fakes only.
 */
import {
  PeerSession,
  type PeerSessionOptions,
  type RTCPeerConnectionConstructor,
} from '../../../packages/client/src/peer/peer-session.ts';
import type { SignalData } from '../../../packages/client/src/peer/signal-data.ts';
import { FakePeerConnection } from './fake-peer-connection.ts';
import { tick } from './fakes.ts';

export const FakePC = FakePeerConnection as unknown as RTCPeerConnectionConstructor;
/** The sessions to close after the test (push the ones you make yourself). */
export const sessions: PeerSession[] = [];

/** Closes every session listed in `sessions` (an `afterEach` hook). */
export function closeSessions(): void {
  for (const s of sessions.splice(0)) s.close();
}

/** A PeerSession from bob to alice on a fake connection (no data channels), closed after the test. */
export function fakeSession(
  over: Partial<PeerSessionOptions> & Pick<PeerSessionOptions, 'scope' | 'send'>,
): PeerSession {
  const s = new PeerSession({
    localName: 'bob',
    remoteName: 'alice',
    RTCPeerConnection: FakePC,
    ...over,
  });
  sessions.push(s);
  return s;
}

/** Two sessions wired back to back; each direction delivers after `delayMs()` (FIFO kept). */
export function pair(delayMs: () => number = () => 0, timing: Record<string, number> = {}) {
  const wires: { to: () => PeerSession; chain: Promise<void> }[] = [];
  const mk = (local: string, remote: string, other: () => PeerSession) => {
    const wire = { to: other, chain: Promise.resolve() };
    wires.push(wire);
    const s = fakeSession({
      localName: local,
      remoteName: remote,
      scope: 'room:test',
      firstOfferWaitMs: 0,
      send: (data: SignalData) => {
        const copy = JSON.parse(JSON.stringify(data)) as SignalData;
        wire.chain = wire.chain.then(() => tick(delayMs())).then(() => wire.to().handleSignal(copy));
      },
      ...timing,
    });
    return s;
  };
  let a!: PeerSession;
  let b!: PeerSession;
  // 'alice' < 'bob': alice is polite, bob impolite.
  a = mk('alice', 'bob', () => b);
  b = mk('bob', 'alice', () => a);
  return { a, b, fa: a.pc as unknown as FakePeerConnection, fb: b.pc as unknown as FakePeerConnection };
}
