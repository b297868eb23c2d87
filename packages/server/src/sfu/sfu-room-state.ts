/**
 * This node's state for its SFU rooms, shared by the SFU modules: one `SfuRoom` per room with
 * members on this node (janus-rooms.ts keeps them), one `Member` per member's Janus session in it
 * (sfu-media.ts fills it). The room's mode and placement are the directory's; this is only what
 * this node built in Janus for them. Holds data and two helpers; imports types only.
 */
import type { SfuStream } from '@parley/protocol';
import type { SfuPlacement } from '../directory/directory.ts';
import type { Session } from '../session/session.ts';
import type { JanusHandle, JanusSession } from './janus-client.ts';
import type { JanusLink } from './janus-link.ts';
import type { JanusStream } from './subscription.ts';

/** One member's Janus state in one room. */
export interface Member {
  readonly session: Session;
  readonly js: JanusSession;
  pub: JanusHandle | undefined;
  published: boolean;
  sub: JanusHandle | undefined;
  /** Feeds the subscriber connection carries: name → Janus feed id. */
  subFeeds: Map<string, number>;
  /** The subscriber offer's streams (mid → feed). */
  streams: SfuStream[];
  /** The same streams as Janus knows them: our mid, and the publisher's feed id and mid. */
  janusStreams: JanusStream[];
  /** Candidates trickled to the publisher connection since its last description. */
  pubCandidates: number;
  /** Candidates trickled to the subscriber connection since it was made. */
  subCandidates: number;
}

/** This node's Janus state for an SFU room (the room's mode and placement are the directory's). */
export interface SfuRoom {
  readonly name: string;
  readonly janusId: number;
  readonly secret: string;
  /** The placement this state was built for. */
  placement: SfuPlacement;
  link: JanusLink;
  /** Epoch of `link` when the Janus room was created in it; another epoch means recreate. */
  linkEpoch: number;
  creating: Promise<void> | undefined;
  readonly members: Map<string, Member>;
  /**
   * The room requires end-to-end encryption: its Janus room has `require_e2ee`, and every offer
   * and answer Parley hands Janus for it carries `e2ee: true` (set when the Janus room is made).
   */
  e2ee: boolean;
}

/** A member with a fresh Janus session and no connection yet. */
export function newMember(session: Session, js: JanusSession): Member {
  return {
    session,
    js,
    pub: undefined,
    published: false,
    sub: undefined,
    subFeeds: new Map(),
    streams: [],
    janusStreams: [],
    pubCandidates: 0,
    subCandidates: 0,
  };
}

/**
 * Forgets the member's subscriber connection (hung up, or replaced by the client) and returns its
 * handle, for the caller to detach: the next `sfu.subscribe` starts a fresh one with an offer.
 */
export function dropSubscriber(m: Member): JanusHandle | undefined {
  const old = m.sub;
  m.sub = undefined;
  m.subFeeds = new Map();
  m.streams = [];
  m.janusStreams = [];
  return old;
}
