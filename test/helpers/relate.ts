/**
 * `signal` is relayed only between the parties of a call or members of a shared room (see
 * docs/PROTOCOL.md, "Who may signal whom"). Tests that relay signals relate their clients first.
 */
import type { TestClient } from './ws-client.ts';

/**
 * Puts every client in `room` (joining one after the other) and consumes the `room.joined` and
 * `peer.joined` frames this causes, so that later `next()` calls see only what follows.
 */
export async function shareRoom(room: string, ...clients: TestClient[]): Promise<void> {
  for (const [i, c] of clients.entries()) {
    c.send({ type: 'room.join', room });
    await c.next('room.joined');
    for (const earlier of clients.slice(0, i)) await earlier.next('peer.joined');
  }
}

/** Calls `callee` (named `calleeName`) from `caller` and accepts; resolves with the call id. */
export async function connectCall(
  caller: TestClient,
  callee: TestClient,
  calleeName: string,
): Promise<string> {
  caller.send({ type: 'call.invite', to: calleeName });
  const { call } = await caller.next('call.ringing');
  await callee.next('call.incoming');
  callee.send({ type: 'call.accept', call });
  await callee.next('call.accepted');
  await caller.next('call.accepted');
  return call;
}
