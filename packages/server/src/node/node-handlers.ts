/**
 * What the directory calls on this node: deliver a frame another node addressed to one of our
 * sessions, fan out a presence change, tell the peers of a session the directory reaped (its
 * node died, or its parked grace ran out), drop a session another node resumed, and list the live
 * sessions to register again after the backend lost its state.
 *
 * May import: every layer below node, and the session lifecycle (for an evicted socket).
 */
import type { ClusterNodeHandlers } from '../cluster/session-handoff.ts';
import type { NodeHandlers } from '../directory/directory.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { errorFrame, frame, frameFromText, isLossyData } from '../wire/frames.ts';
import type { Services } from './services.ts';
import type { SessionLifecycle } from './session-lifecycle.ts';

/** What the handlers act on. */
export interface NodeHandlersOptions {
  readonly services: Pick<Services, 'registry' | 'presence' | 'calls' | 'relay' | 'sfu' | 'rooms'>;
  readonly lifecycle: Pick<SessionLifecycle, 'connectionLost'>;
  readonly metrics: Metrics;
  readonly log: Logger;
}

/** The callbacks `Directory.attachNode` registers for this node. */
export function nodeHandlers(o: NodeHandlersOptions): NodeHandlers & ClusterNodeHandlers {
  const services = o.services;
  const { registry, presence, calls, relay, sfu } = services;

  /** A session of a dead node (or an expired parked one) was removed: tell its peers. */
  const reaped = async (name: string, rooms: readonly string[]): Promise<void> => {
    o.log.info({ name, rooms: rooms.length }, 'session of another node reaped');
    await calls.endFor(name, 'peer_gone');
    const frameFor = (room: string) => frame({ type: 'peer.left', room, name, reason: 'gone' });
    await Promise.all(rooms.map((room) => relay.broadcast(room, name, frameFor(room))));
    await sfu?.reaped(rooms);
    // A host follows if the reaped session was the last one (rooms/room-control.ts).
    await Promise.all(rooms.map((room) => services.rooms.moderation.left(room)));
  };

  return {
    deliver: (name, text) => {
      const s = registry.byName(name);
      if (!s) return false;
      // Built with wire/frames.ts (on this node or another); the directory carries text only.
      const f = frameFromText(text);
      if (f.type === 'room.removed' || f.type === 'room.ended') {
        // A host on another node took this session out of a room (rooms/moderation.ts).
        const { room } = JSON.parse(text) as { room: string };
        services.rooms.dropped(s, room).catch((err) => o.log.warn({ err, name }, 'dropping a room failed'));
      }
      if (isLossyData(f)) s.sendLossy(f);
      else s.send(f);
      return true;
    },
    presence: (name, online) => presence.changed(name, online),
    reaped: (name, rooms) => {
      reaped(name, rooms).catch((err) => o.log.error({ err, name }, 'telling peers failed'));
    },
    evict: (token) => {
      const s = registry.byToken(token);
      const conn = s?.connection;
      // A token being rotated is spent: another node's resume with it loses the race.
      if (!s || !conn || s.pendingToken !== undefined) return;
      o.metrics.errors.labels('SESSION_REPLACED').inc();
      conn.send(errorFrame('SESSION_REPLACED', 'the session was resumed on another connection').text);
      conn.closeFor('SESSION_REPLACED');
      o.lifecycle.connectionLost(s);
    },
    sessions: () => [...registry.values()].filter((s) => s.state === 'live'),
  };
}
