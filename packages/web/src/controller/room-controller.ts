/**
 * A room on screen: builds the call screen for a {@link RoomSession}, joins, and renders what the
 * session says (members, mode, active speaker, alone, rejoining, lost). The behaviour lives in
 * the session (app/room-session.ts); this file only turns its events into the screen, toasts
 * and announcements.
 *
 * The controller layer: may import app/, components/, screens/, media/ and ui/.
 */
import type { E2eeSetup, ParleyClient, PeerLink, PeerSession } from '@parley/client';
import { reportVideoView } from '../app/large-room.ts';
import { rememberRoom } from '../app/prefs.ts';
import { RoomSession } from '../app/room-session.ts';
import { navigate, roomLink } from '../app/router.ts';
import { ModerationView } from '../components/moderation-view.ts';
import { askRoomPassword } from '../components/password-dialog.ts';
import type { SelfPreview } from '../components/self-preview.ts';
import { stopStream } from '../media/local-media.ts';
import { CallScreen } from '../screens/call-screen.ts';
import { announce, toast } from '../ui/announce.ts';
import { copyText } from '../ui/clipboard.ts';
import { h } from '../ui/dom.ts';
import { icon } from '../ui/icons.ts';
import { markDeliberateLeave } from './leave-guard.ts';
import { followRecording, recordingParts } from './room-recording.ts';

/** A room being entered or in, as the app holds it. */
export interface RoomConversation {
  readonly kind: 'room';
  readonly name: string;
  readonly session: RoomSession;
  readonly screen: CallScreen;
  readonly stream: MediaStream | null;
}

/** What a room needs from the app. */
export interface RoomHost {
  readonly root: HTMLElement;
  readonly client: ParleyClient;
  readonly preview: SelfPreview;
  /** The top bar with `title` and `extra` before the status. */
  header(title: Node, ...extra: Node[]): HTMLElement;
  linkOf(peer: PeerSession): PeerLink | undefined;
  /** Whether `conv` is still the app's conversation (the person may have gone elsewhere). */
  isCurrent(conv: RoomConversation): boolean;
  /** Makes `conv` the app's conversation. */
  adopt(conv: RoomConversation): void;
  /** `conv` could not go on: the app forgets it (its screen is already gone). */
  drop(conv: RoomConversation): void;
}

/** Copies the room link and says whether it worked. */
async function copyRoomLink(name: string, done: string, e2ee?: string): Promise<void> {
  toast((await copyText(roomLink(name, false, e2ee))) ? done : 'Could not copy the link.', 'success');
}

/**
 * Opens room `name` on screen with `stream` (from the preview) and joins it; `password` is one
 * the person typed already. Resolves once joined, or refused (then back home, with the reason).
 */
export async function enterRoom(
  host: RoomHost,
  name: string,
  options: { large: boolean; password: string | null; stream: MediaStream | null; e2ee?: string },
): Promise<void> {
  const { client, preview } = host;
  const { stream } = options;
  const copy = h(
    'button',
    {
      class: 'button ghost',
      type: 'button',
      'aria-label': 'Copy link to this room',
      onclick: () => void copyRoomLink(name, 'Room link copied. Anyone with it can join.', options.e2ee),
    },
    icon('link'),
    h('span', { class: 'button-text' }, 'Copy link'),
  );
  const modeChip = h(
    'span',
    {
      class: 'chip plain mode-chip',
      hidden: true,
      title: 'Video goes through the server, so everyone sends it only once',
    },
    icon('users'),
    'Large room',
  );
  // An encrypted room: the SDK's E2EE (loaded now), or back home saying why this browser cannot.
  let e2eeSetup: E2eeSetup | undefined;
  let e2eeText: typeof import('../app/e2ee-setup.ts') | undefined;
  if (options.e2ee) {
    e2eeText = await import('../app/e2ee-setup.ts');
    const prepared = e2eeText.prepareE2ee(options.e2ee);
    if (!prepared.ok) {
      stopStream(stream);
      toast(prepared.message, 'error', 12000);
      navigate({ page: 'home' });
      return;
    }
    e2eeSetup = prepared.setup;
  }
  const e2eeChip = h(
    'span',
    { class: 'chip plain e2ee-chip', hidden: true, tabindex: 0, role: 'status' },
    icon('shield'),
    h('span', null, 'Encrypted'),
  );
  const recording = recordingParts();
  const session = new RoomSession(client, name, {
    // An encrypted link's room requires E2EE (honoured by the server when this join creates it).
    media: {
      ...(stream ? { stream } : { media: false }),
      ...(e2eeSetup ? { e2ee: e2eeSetup, requireE2ee: true } : {}),
    },
    password: options.password,
    large: options.large,
    askPassword: askRoomPassword,
  });
  const screen = new CallScreen(host.root, {
    kind: 'room',
    selfName: client.name,
    title: name,
    header: host.header(
      h('h1', { title: name }, name),
      e2eeChip,
      modeChip,
      recording.chip,
      recording.button,
      copy,
    ),
    onLeave: () => {
      markDeliberateLeave();
      navigate({ page: 'home' });
    },
    roomMedia: true,
    onVideoView: (member, view) => {
      if (session.room) reportVideoView(session.room, member, view);
    },
    sfuConnections: () => {
      const sfu = session.room?.sfu;
      return sfu
        ? { publisher: sfu.publisher, subscriber: sfu.subscriber, layerOf: (n: string) => sfu.layerOf(n) }
        : undefined;
    },
  });
  const conv: RoomConversation = { kind: 'room', name, session, screen, stream };
  host.adopt(conv);
  screen.setWaiting({ title: 'Joining…', detail: `Connecting you to “${name}”.` });
  session.on('notice', (text) => toast(text, 'warning', 7000));
  session.on('knocking', () => {
    screen.setWaiting({
      title: 'Waiting for a host to let you in',
      detail: `“${name}” has a lobby. A host sees that you are waiting.`,
      actions: [
        h(
          'button',
          {
            class: 'button',
            type: 'button',
            'data-action': 'stop-waiting',
            onclick: () => {
              markDeliberateLeave();
              session.leave();
              navigate({ page: 'home' });
            },
          },
          'Stop waiting',
        ),
      ],
    });
    announce(`Waiting for a host to let you into ${name}`);
  });
  const joined = await session.join();
  if (!host.isCurrent(conv)) return;
  if (!joined.ok) {
    session.close();
    stopStream(stream);
    host.drop(conv);
    screen.destroy();
    if (joined.message) toast(joined.message, 'error', 9000);
    navigate({ page: 'home' });
    return;
  }
  const room = joined.room;
  rememberRoom(name);
  screen.setMedia(room.media);
  if (stream) {
    room.media.setMuted('audio', !preview.audioOn);
    room.media.setMuted('video', !preview.videoOn);
  }
  showRoom(
    host,
    conv,
    modeChip,
    e2eeText ? { secret: options.e2ee, chip: e2eeChip, words: e2eeText } : undefined,
  );
  const stopRecording = followRecording(client, room, screen, recording, { root: host.root, own: stream });
  room.on('state', (state) => {
    if (state === 'left') stopRecording();
  });
  screen.startTimer();
  announce(`Joined room ${name}`);
}

/** Renders the joined room's session on its screen. */
function showRoom(
  host: RoomHost,
  conv: RoomConversation,
  modeChip: HTMLElement,
  encrypted?: { secret: string | undefined; chip: HTMLElement; words: typeof import('../app/e2ee-setup.ts') },
): void {
  const { session, screen, name } = conv;
  const room = session.room;
  if (!room) return;
  const added = new Set<PeerSession>();
  session.on('peer-joined', (peer, joined) => {
    if (!added.has(peer)) {
      added.add(peer);
      const link = host.linkOf(peer);
      if (link) screen.addPeer(link);
    }
    if (!joined) return;
    screen.shareHistoryWith(peer.remoteName);
    screen.systemMessage(`${peer.remoteName} joined`);
    announce(`${peer.remoteName} joined`);
  });
  session.on('peer-left', (peerName, text) => screen.removePeer(peerName, text));
  session.on('alone', (alone) => {
    if (!alone) screen.setWaiting(null);
    else
      screen.setWaiting({
        title: 'Waiting for others to join',
        detail: 'Share the room link; everyone who opens it lands here.',
        actions: [
          h(
            'button',
            {
              class: 'button primary',
              type: 'button',
              onclick: () => void copyRoomLink(name, 'Room link copied.', encrypted?.secret),
            },
            icon('copy'),
            'Copy room link',
          ),
        ],
      });
  });
  session.on('mode', (mode, notice) => {
    modeChip.hidden = mode !== 'sfu';
    screen.setRoomMode(mode, notice);
  });
  session.on('speaker', (speaker) => screen.setActiveSpeaker(speaker));
  showModeration(conv, host.client.name);
  session.on('rejoining', (rejoining) => {
    if (rejoining) screen.showBanner('rejoin', 'The server restarted; joining the room again…', 'warn');
    else screen.clearBanner('rejoin');
  });
  session.on('lost', (text) => {
    if (!host.isCurrent(conv)) return;
    toast(text, 'warning');
    // Out of the room already (removed, ended, lost): nothing to confirm before going home.
    markDeliberateLeave();
    navigate({ page: 'home' });
  });
  const keys = room.e2ee;
  if (keys && encrypted) {
    const { words, chip: e2eeChip } = encrypted;
    const showCode = (code: string) => {
      e2eeChip.hidden = false;
      e2eeChip.title = words.safetyCodeText(code);
      e2eeChip.setAttribute('aria-label', words.safetyCodeText(code));
      e2eeChip.lastChild!.textContent = `Encrypted · ${code}`;
    };
    showCode(keys.safetyCode);
    keys.on('key', (_epoch, code) => showCode(code));
    keys.on('member-state', (member, state) => {
      if (state === 'failing') screen.showBanner(`e2ee-${member}`, words.cannotDecryptText(member), 'warn');
      else screen.clearBanner(`e2ee-${member}`);
    });
    keys.on('error', (message) =>
      screen.showBanner('e2ee', `Encryption stopped working: ${message}`, 'warn'),
    );
    session.on('peer-left', (member) => screen.clearBanner(`e2ee-${member}`));
  }
  // Media comes from the room (peer to peer or through the SFU), in the same shape either way.
  room.on('track', (peer, track, trackStream) => screen.roomTrack(peer, track, trackStream));
  room.on('track-removed', (peer, _track, trackStream) => screen.roomTrackRemoved(peer, trackStream));
  room.on('media-state', (peer, state) => screen.roomMediaState(peer, state));
  session.follow();
}

/** The room's roles, hands, door and host actions in the People tab. */
function showModeration(conv: RoomConversation, self: string): void {
  const room = conv.session.room;
  if (!room) return;
  const m = room.moderation;
  const view = new ModerationView(m, self, (err) =>
    toast(err instanceof Error ? err.message : 'The host action failed.', 'error'),
  );
  const redraw = () => {
    view.update();
    conv.screen.people.refresh();
  };
  conv.screen.people.setModeration(view);
  redraw();
  m.on('participants', redraw);
  m.on('door', (door, by) => {
    redraw();
    if (by) announce(door.locked ? `${by} locked the room` : `${by} changed the room's door`);
  });
  m.on('lobby', (waiting) => {
    redraw();
    if (waiting.length > 0) announce(`${waiting.at(-1)} is waiting to join`);
  });
  m.on('muted', (by) => toast(`${by} muted your microphone.`, 'warning'));
  m.on('unmute-requested', (by) => toast(`${by} asks you to turn your microphone on.`, 'info', 9000));
  m.on('share-stopped', (by) => toast(`${by} stopped your screen share.`, 'warning'));
}
