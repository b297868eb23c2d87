/**
 * The services of one node, built once by the composition root (node/server.ts) from the
 * configuration and handed, each to whoever needs it: the connection handler gets the ones a
 * request reaches, the session lifecycle the ones a session's start and end touch, the node
 * handlers the ones another node's messages reach. Nothing looks a service up by name.
 *
 * May import: every layer below node (services, session, auth, foundation).
 */
import type { Authorizer } from '../auth/authorizer.ts';
import type { CallStore } from '../calls/call-store.ts';
import { Calls } from '../calls/calls.ts';
import type { Config } from '../config/variables.ts';
import type { Directory } from '../directory/directory.ts';
import { RecordingLinks } from '../http/recording-links.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { Presence } from '../presence/presence.ts';
import { RoomRecorder } from '../recording/room-recorder.ts';
import { Relay } from '../relay/relay.ts';
import { recordingShared } from '../rooms/recording-mark.ts';
import { Rooms } from '../rooms/rooms.ts';
import { SessionRegistry } from '../session/session-registry.ts';
import { SfuRooms } from '../sfu/sfu-rooms.ts';
import { IceIssuer } from '../turn/ice-issuer.ts';

/** The node's local sessions and the services acting on them. */
export interface Services {
  /** The sessions living on this node, by name and by resume token. */
  readonly registry: SessionRegistry;
  readonly relay: Relay;
  readonly rooms: Rooms;
  readonly calls: Calls;
  readonly presence: Presence;
  /** Large rooms through Janus; present only when `PARLEY_JANUS_URL` is set. */
  readonly sfu: SfuRooms | undefined;
  /** ICE servers and TURN credentials for `welcome`, `ice.updated` and `GET /ice`. */
  readonly ice: IceIssuer;
  /** Recording of SFU rooms (`recording.*`); present only with an SFU. */
  readonly recorder: RoomRecorder | undefined;
  readonly recordingLinks: RecordingLinks;
}

/** What the services are built from. */
export interface ServicesOptions {
  readonly config: Readonly<Config>;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly directory: Directory;
  readonly callStore: CallStore;
  readonly authorizer: Authorizer | undefined;
  /** The built-in STUN server's URL for a client that came in as `host` (stun/stun-url.ts). */
  readonly selfStun?: ((host: string | undefined) => string | undefined) | undefined;
}

/** Builds the node's services; each receives only its own collaborators. */
export function createServices(o: ServicesOptions): Services {
  const { config, directory } = o;
  const registry = new SessionRegistry();
  const relay = new Relay(registry, directory, o.callStore, o.metrics, o.log);
  const sfu =
    config.janusUrls.length > 0
      ? // A room whose creator required E2EE gets Janus's own `require_e2ee` too (its publishers'
        // offers are marked `e2ee`, sfu/sfu-media.ts); the requirement itself is kept at `room.join`.
        new SfuRooms(config, directory, relay, o.log, o.metrics.registry, (room) =>
          rooms.moderation.e2eeRequired(room),
        )
      : undefined;
  // Signed download links for finished recordings (hosts need no operator token).
  const recordingLinks = new RecordingLinks(
    RecordingLinks.keyFrom([config.authSecret, config.recordingsToken]),
    config.recordingLinkTtlS,
  );
  const recorder = sfu
    ? new RoomRecorder({
        config,
        sfu,
        members: (room) => directory.members(room),
        // The recording mark newcomers on every node read, and the hosts who see progress.
        shared: recordingShared(directory),
        links: recordingLinks,
        broadcast: (room, f) => relay.broadcast(room, '', f),
        deliver: (name, f) => void relay.deliver(name, f),
        log: o.log.child({ component: 'recording' }),
        // `PARLEY_RECORDING=hosts`: the room's hosts (issue 21's roles) and `record` grant holders.
        isHost: (s, room): Promise<boolean> => rooms.moderation.isHostOf(s, room),
        // A room whose creator required E2EE (`room.join` `requireE2ee`): Janus only sees ciphertext.
        isE2ee: (room): Promise<boolean> => rooms.moderation.e2eeRequired(room),
      })
    : undefined;
  const rooms: Rooms = new Rooms(directory, relay, config, o.authorizer, sfu, registry, recorder);
  const calls = new Calls(
    o.callStore,
    relay,
    directory,
    config.ringTimeoutS,
    config.invitesPerPeerPerMin,
    (name) => {
      const local = registry.byName(name);
      return local ? local.state === 'live' : undefined;
    },
  );
  const presence = new Presence(directory, {
    enabled: config.presence,
    intervalMs: config.presenceIntervalMs,
  });
  const tokens = config.authSecret !== undefined || config.authPublicKey !== undefined;
  const ice = new IceIssuer(config, { tokens, metrics: o.metrics, selfStun: o.selfStun });
  return { registry, relay, rooms, calls, presence, sfu, ice, recorder, recordingLinks };
}
