/**
 * The app controller: owns the SDK client, the route, and which screen is on. It turns SDK events
 * into screens and plain messages (who declined, why a call ended, what to do when the server is
 * unreachable), and keeps the camera preview open from the name screen into the call so the
 * camera is opened once.
 */
import {
  type Call,
  type CallEndedReason,
  type ClientState,
  connect,
  isNamedError,
  type ParleyClient,
  ParleyError,
  type PeerSession,
  type Room,
} from '@parley/client';
import { openIncomingCall } from '../components/incoming-call.ts';
import { askRoomPassword } from '../components/password-dialog.ts';
import { SelfPreview } from '../components/self-preview.ts';
import { playRingback, type Tone, unlockAudio } from '../media/audio.ts';
import { stopStream } from '../media/local-media.ts';
import { CallScreen } from '../screens/call-screen.ts';
import { renderGate } from '../screens/gate-screen.ts';
import { copyText, type HomeView, renderHome } from '../screens/home-screen.ts';
import { renderSelfTest } from '../screens/self-test-screen.ts';
import { announce, toast } from '../ui/announce.ts';
import { avatar, chip, setChip, topbar } from '../ui/common.ts';
import { h, replaceChildren } from '../ui/dom.ts';
import { icon } from '../ui/icons.ts';
import { signalingUrl } from './endpoints.ts';
import { forgetInviteToken, inviteToken, tokenName } from './invite.ts';
import {
  describeModeChange,
  followActiveSpeaker,
  followMode,
  joinRoom,
  MAX_MESH_PEOPLE,
  reportVideoView,
} from './large-room.ts';
import { PeerLink } from './peer-link.ts';
import { rememberRoom, setTabSession, tabSession, writePref } from './prefs.ts';
import { navigate, parseRoute, type Route, roomLink } from './router.ts';

type Conversation =
  | {
      kind: 'room';
      name: string;
      room: Room | null;
      screen: CallScreen;
      stream: MediaStream | null;
      leaving: boolean;
    }
  | {
      kind: 'call';
      remote: string;
      call: Call | null;
      screen: CallScreen;
      stream: MediaStream | null;
      ringback: Tone | null;
    };

/** What tests (and curious people in the console) can reach as `window.parley`. */
export interface ParleyDebug {
  readonly client: ParleyClient | null;
  readonly room: Room | null;
  readonly call: Call | null;
  readonly links: PeerLink[];
}

/** Why a call ended, in words. */
export function describeCallEnd(
  reason: CallEndedReason,
  remote: string,
  by: string | undefined,
  self: string,
): string {
  switch (reason) {
    case 'declined':
      return `${remote} declined the call.`;
    case 'busy':
      return `${remote} is busy in another call. Try again later.`;
    case 'cancelled':
      return by === self ? 'Call cancelled.' : `${remote} cancelled the call.`;
    case 'no_answer':
      return `${remote} did not answer.`;
    case 'hangup':
      return by === self ? 'Call ended.' : `${remote} hung up.`;
    case 'peer_gone':
      return `${remote}’s connection was lost.`;
    case 'failed':
      return `Could not connect to ${remote}: no network path between you. The server may need a TURN relay (see the self-test).`;
    case 'closed':
      return 'Call ended.';
  }
}

/** Words for a signaling failure reason. */
function describeSignalingFailure(reason: string | undefined): string {
  switch (reason) {
    case 'SESSION_REPLACED':
      return 'You opened Parley in another tab with the same session; this one was disconnected.';
    case 'UNAUTHORIZED':
      return 'The server refused your access. Ask for a new invitation link.';
    case 'TOO_MANY_CONNECTIONS':
      return 'Too many connections from your network to this server. Close other Parley tabs and retry.';
    default:
      return 'The connection to the server was lost and could not be restored.';
  }
}

/** The Parley web app. */
export class ParleyApp {
  readonly #root: HTMLElement;
  readonly #links = new Map<PeerSession, PeerLink>();
  readonly #status = chip('Connected', 'ok');
  #client: ParleyClient | null = null;
  #preview: SelfPreview | null = null;
  #conversation: Conversation | null = null;
  #home: HomeView | null = null;
  #cleanup: (() => void) | null = null;
  #route: Route = { page: 'home' };
  #logoutNotice: string | undefined;
  #triedResume = false;
  /** The room being entered (camera opening, joining), so a repeated route does not enter twice. */
  #enteringRoom: string | null = null;
  /** A password typed on the home screen for the room about to be joined. */
  #roomPassword: { room: string; password: string } | null = null;

  constructor(root: HTMLElement) {
    this.#root = root;
    this.#status.setAttribute('role', 'status');
    // Hash routes only: setting location.hash fires hashchange (and popstate too, which is not
    // listened to, or every navigation would route twice).
    window.addEventListener('hashchange', () => this.#onRoute());
    // Browsers keep an AudioContext suspended until a gesture; any click or key unlocks it.
    const unlock = () => unlockAudio();
    window.addEventListener('pointerdown', unlock, { once: true, capture: true });
    window.addEventListener('keydown', unlock, { once: true, capture: true });
    (window as unknown as { parley: ParleyDebug }).parley = this.debug;
  }

  /** Test and console access. */
  get debug(): ParleyDebug {
    const app = this;
    return {
      get client() {
        return app.#client;
      },
      get room() {
        const c = app.#conversation;
        return c?.kind === 'room' ? c.room : null;
      },
      get call() {
        const c = app.#conversation;
        return c?.kind === 'call' ? c.call : null;
      },
      get links() {
        return [...app.#links.values()];
      },
    };
  }

  /** Renders the current route. */
  start(): void {
    this.#onRoute();
  }

  #onRoute(): void {
    const route = parseRoute();
    const previous = this.#route;
    this.#route = route;
    const sameRoom =
      route.page === 'room' &&
      previous.page === 'room' &&
      route.room === previous.room &&
      (this.#conversation?.kind === 'room' || this.#enteringRoom === route.room);
    if (sameRoom) return;
    // Leaving a room or call page ends it.
    if (this.#conversation) this.#endConversation();
    this.#cleanup?.();
    this.#cleanup = null;
    this.#home = null;
    if (route.page === 'test') {
      this.#preview?.destroy();
      this.#preview = null;
      this.#cleanup = renderSelfTest(this.#root);
      document.title = 'Self-test · Parley';
      return;
    }
    if (!this.#client) {
      this.#showGate(route.page === 'room' ? route.room : null);
      return;
    }
    if (route.page === 'room') void this.#enterRoom(route.room, route.large === true);
    else this.#showHome();
  }

  #ensurePreview(): SelfPreview {
    this.#preview ??= new SelfPreview();
    return this.#preview;
  }

  // ---- login --------------------------------------------------------------------------------

  #showGate(room: string | null): void {
    document.title = room ? `Join ${room} · Parley` : 'Parley';
    const notice = this.#logoutNotice;
    this.#logoutNotice = undefined;
    // A reload of a signed-in tab signs straight back in (the SDK resumes the session).
    const resumeAs = this.#triedResume ? null : tabSession();
    this.#triedResume = true;
    if (resumeAs) {
      replaceChildren(
        this.#root,
        topbar(null),
        h(
          'main',
          { class: 'gate', id: 'main' },
          h('p', { class: 'muted', role: 'status' }, `Signing you back in as ${resumeAs}…`),
        ),
      );
      void this.#login(resumeAs).then((failure) => {
        if (failure) {
          setTabSession(null);
          this.#showGate(room);
        }
      });
      return;
    }
    const token = inviteToken();
    const invitedAs = token ? tokenName(token) : null;
    renderGate(this.#root, {
      room,
      invitedAs,
      preview: this.#ensurePreview(),
      ...(notice ? { notice } : {}),
      submit: (name) => this.#login(name),
    });
  }

  async #login(name: string): Promise<string | null> {
    unlockAudio();
    let client: ParleyClient;
    try {
      const token = inviteToken();
      client = await connect(signalingUrl(), {
        name,
        ...(token ? { token } : {}),
        features: [(peer) => this.#links.set(peer, new PeerLink(peer))],
      });
    } catch (err) {
      if (err instanceof ParleyError) {
        switch (err.code) {
          case 'NAME_TAKEN':
            return `“${name}” is already used by someone online. Pick another name, for example “${name}-2”.`;
          case 'UNAUTHORIZED':
            if (!inviteToken())
              return 'This server only lets invited people in. Open the invitation link you were sent.';
            forgetInviteToken();
            return 'Your invitation is not valid any more (expired, or for another name). Ask for a new link.';
          case 'TOO_MANY_CONNECTIONS':
            return 'Too many connections from your network. Close other Parley tabs and try again.';
          default:
            return `The server refused: ${err.message}`;
        }
      }
      return 'Cannot reach the Parley server. Check your connection and try again; if it persists, run the self-test.';
    }
    writePref('name', name);
    setTabSession(name);
    this.#client = client;
    this.#wireClient(client);
    announce(`Signed in as ${name}`);
    this.#onRoute();
    return null;
  }

  #wireClient(client: ParleyClient): void {
    client.on('state', (state, reason) => this.#onClientState(state, reason));
    client.on('reconnected', (resumed) => {
      toast('Reconnected to the server.', 'success');
      // A fresh session (the server restarted) has no presence subscription: ask again.
      const view = this.#home;
      if (!resumed && view)
        void client.watchPresence().then(
          (names) => this.#home === view && view.setOnline(names),
          () => undefined,
        );
    });
    client.on('incoming', (call) => this.#onIncoming(call));
    client.on('presence', () => this.#home?.setOnline([...client.online]));
    client.on('peer', (peer) => {
      peer.on('state', (state) => {
        if (state === 'closed') {
          this.#links.get(peer)?.close();
          this.#links.delete(peer);
        }
      });
    });
  }

  #onClientState(state: ClientState, reason: string | undefined): void {
    const screen = this.#conversation?.screen;
    switch (state) {
      case 'open':
        setChip(this.#status, 'Connected', 'ok');
        screen?.clearBanner('signaling');
        break;
      case 'reconnecting':
        setChip(this.#status, 'Reconnecting…', 'warn');
        screen?.showBanner(
          'signaling',
          'Lost the connection to the server; reconnecting… Your call goes on meanwhile, but nobody new can join until it is back.',
          'warn',
        );
        announce('Connection to the server lost, reconnecting');
        break;
      case 'failed':
      case 'closed': {
        if (this.#client?.state !== state) return;
        setChip(this.#status, 'Offline', 'bad');
        if (state === 'closed') return;
        const text = describeSignalingFailure(reason);
        this.#client = null;
        setTabSession(null);
        this.#logoutNotice = `${text} Sign in again to continue.`;
        toast(text, 'error', 10_000);
        if (this.#conversation) this.#endConversation();
        this.#onRoute();
        break;
      }
      case 'connecting':
        break;
    }
  }

  // ---- header ---------------------------------------------------------------------------------

  #header(title: Node | null, ...extra: Node[]): HTMLElement {
    const name = this.#client?.name ?? '';
    return topbar(
      title,
      ...extra,
      this.#status,
      h(
        'span',
        { class: 'me-badge', title: `Signed in as ${name}` },
        avatar(name),
        h('span', { class: 'me-name' }, name),
      ),
    );
  }

  // ---- home ---------------------------------------------------------------------------------

  #showHome(): void {
    const client = this.#client;
    if (!client) return;
    document.title = 'Parley';
    const view = renderHome(this.#root, {
      name: client.name,
      preview: this.#ensurePreview(),
      header: this.#header(
        null,
        h(
          'a',
          { class: 'button ghost', href: '#/test', 'aria-label': 'Self-test' },
          icon('shield'),
          h('span', { class: 'button-text' }, 'Self-test'),
        ),
        h(
          'button',
          {
            class: 'button ghost',
            type: 'button',
            'aria-label': `Sign out ${client.name}`,
            onclick: () => this.#signOut(),
          },
          icon('arrowLeft'),
          h('span', { class: 'button-text' }, 'Sign out'),
        ),
      ),
      onCall: (name) => void this.#startCall(name),
      onRoom: (room, password, large) => {
        this.#roomPassword = password ? { room, password } : null;
        navigate(large ? { page: 'room', room, large } : { page: 'room', room });
      },
    });
    this.#home = view;
    client.watchPresence().then(
      (names) => this.#home === view && view.setOnline(names),
      (err: unknown) => {
        if (this.#home !== view) return;
        if (err instanceof ParleyError && err.code === 'FORBIDDEN') view.setPresenceUnavailable();
      },
    );
  }

  /** Signs out: frees the name at once (`bye`) and shows the name screen. */
  #signOut(): void {
    const client = this.#client;
    if (!client) return;
    this.#client = null;
    setTabSession(null);
    client.close();
    announce('Signed out');
    this.#onRoute();
  }

  // ---- rooms --------------------------------------------------------------------------------

  async #enterRoom(name: string, large: boolean): Promise<void> {
    const client = this.#client;
    if (!client) return;
    document.title = `${name} · Parley`;
    const preview = this.#ensurePreview();
    this.#enteringRoom = name;
    try {
      await preview.open();
    } finally {
      this.#enteringRoom = null;
    }
    if (this.#route.page !== 'room' || this.#route.room !== name) return;
    const stream = preview.takeStream();
    const copy = h(
      'button',
      {
        class: 'button ghost',
        type: 'button',
        'aria-label': 'Copy room link',
        onclick: async () =>
          toast(
            (await copyText(roomLink(name)))
              ? 'Room link copied. Anyone with it can join.'
              : 'Could not copy the link.',
            'success',
          ),
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
    let conv: Extract<Conversation, { kind: 'room' }> | null = null;
    const screen = new CallScreen(this.#root, {
      kind: 'room',
      selfName: client.name,
      header: this.#header(h('h1', null, name), modeChip, copy),
      onLeave: () => navigate({ page: 'home' }),
      roomMedia: true,
      onVideoView: (member, view) => {
        if (conv?.room) reportVideoView(conv.room, member, view);
      },
      sfuConnections: () => {
        const sfu = conv?.room?.sfu;
        return sfu
          ? { publisher: sfu.publisher, subscriber: sfu.subscriber, layerOf: (n: string) => sfu.layerOf(n) }
          : undefined;
      },
    });
    conv = { kind: 'room', name, room: null, screen, stream, leaving: false };
    this.#conversation = conv;
    screen.setWaiting({ title: 'Joining…', detail: `Connecting you to “${name}”.` });
    const added = new Set<PeerSession>();
    const addPeer = (peer: PeerSession) => {
      if (added.has(peer)) return;
      added.add(peer);
      const link = this.#links.get(peer);
      if (link) screen.addPeer(link);
    };
    let room: Room | null = null;
    let password = this.#roomPassword?.room === name ? this.#roomPassword.password : null;
    this.#roomPassword = null;
    const fail = (text: string | null) => {
      stopStream(stream);
      this.#conversation = null;
      screen.destroy();
      if (text) toast(text, 'error', 9000);
      navigate({ page: 'home' });
    };
    // A protected room answers FORBIDDEN with reason `password_required` or `password_wrong`:
    // ask, and try again. Decisions go by code and reason, never by the message text.
    for (let attempt = 0; attempt < 10 && !room; attempt++) {
      try {
        room = await joinRoom(
          client,
          name,
          { ...(stream ? { stream } : { media: false }), ...(password ? { password } : {}) },
          large,
        );
      } catch (err) {
        if (this.#conversation !== conv) return;
        const code = err instanceof ParleyError ? err.code : null;
        const reason = err instanceof ParleyError ? err.reason : undefined;
        const message = err instanceof Error ? err.message : '';
        if (code === 'FORBIDDEN' && (reason === 'password_required' || reason === 'password_wrong')) {
          const typed = await askRoomPassword(name, reason === 'password_wrong');
          if (this.#conversation !== conv) return;
          if (typed === null) return fail(null);
          password = typed;
          continue;
        }
        if (code === 'FORBIDDEN' && reason === 'room_open' && password) {
          toast(`“${name}” already exists without a password; you join it as it is.`, 'warning', 7000);
          password = null;
          continue;
        }
        return fail(
          code === 'ROOM_FULL'
            ? `“${name}” is full. Ask someone to leave, or meet in another room.`
            : code === 'FORBIDDEN'
              ? reason === 'room_not_in_token'
                ? `Your invitation does not include the room “${name}”.`
                : `You may not join “${name}”: ${message}`
              : code === 'TOO_MANY_ROOMS'
                ? 'You are already in too many rooms. Leave one first.'
                : 'Could not join the room. Check your connection and try again.',
        );
      }
    }
    if (!room) return fail('Could not join the room.');
    if (this.#conversation !== conv) {
      void room.leave();
      return;
    }
    conv.room = room;
    // A room whose media goes peer to peer holds six people with video; a server with an SFU
    // moves a growing room to it, and then there is no limit here (the server has its own).
    if (room.mode === 'mesh' && room.peers.size + 1 > MAX_MESH_PEOPLE) {
      void room.leave();
      stopStream(stream);
      this.#conversation = null;
      screen.destroy();
      toast(
        `“${name}” already has ${MAX_MESH_PEOPLE} people, the most a room holds on this server. Try another room.`,
        'error',
        9000,
      );
      navigate({ page: 'home' });
      return;
    }
    rememberRoom(name);
    screen.setMedia(room.media);
    if (stream) {
      room.media.setMuted('audio', !preview.audioOn);
      room.media.setMuted('video', !preview.videoOn);
    }
    const updateWaiting = () => {
      if (room.peers.size > 0) screen.setWaiting(null);
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
                onclick: async () =>
                  toast(
                    (await copyText(roomLink(name))) ? 'Room link copied.' : 'Could not copy the link.',
                    'success',
                  ),
              },
              icon('copy'),
              'Copy room link',
            ),
          ],
        });
    };
    room.on('peer-joined', (peer) => {
      addPeer(peer);
      screen.systemMessage(`${peer.remoteName} joined`);
      announce(`${peer.remoteName} joined`);
      updateWaiting();
    });
    room.on('peer-left', (peerName, reason) => {
      screen.removePeer(
        peerName,
        reason === 'left' ? `${peerName} left` : `${peerName}’s connection was lost`,
      );
      updateWaiting();
    });
    // Media comes from the room (peer to peer or through the SFU), in the same shape either way.
    room.on('track', (peer, track, trackStream) => screen.roomTrack(peer, track, trackStream));
    room.on('track-removed', (peer, _track, trackStream) => screen.roomTrackRemoved(peer, trackStream));
    room.on('media-state', (peer, state) => screen.roomMediaState(peer, state));
    let shownMode = room.mode;
    const showMode = (mode: typeof room.mode, notice: string | null) => {
      shownMode = mode;
      modeChip.hidden = mode !== 'sfu';
      screen.setRoomMode(mode, notice);
    };
    showMode(room.mode, room.mode === 'sfu' ? describeModeChange('sfu', undefined) : null);
    followMode(room, (mode) => showMode(mode, describeModeChange(mode, shownMode)));
    followActiveSpeaker(room, (speaker) => screen.setActiveSpeaker(speaker));
    room.on('state', (state, reason) => {
      if (state === 'rejoining')
        screen.showBanner('rejoin', 'The server restarted; joining the room again…', 'warn');
      else if (state === 'joined') screen.clearBanner('rejoin');
      else if (state === 'left' && !conv.leaving && this.#conversation === conv) {
        toast(
          `You are no longer in “${name}”${reason && reason !== 'left' ? ` (${reason})` : ''}.`,
          'warning',
        );
        navigate({ page: 'home' });
      }
    });
    for (const peer of room.peers.values()) addPeer(peer);
    updateWaiting();
    announce(`Joined room ${name}`);
  }

  // ---- direct calls -------------------------------------------------------------------------

  async #startCall(remote: string): Promise<void> {
    const client = this.#client;
    if (!client || this.#conversation) return;
    const preview = this.#ensurePreview();
    await preview.open();
    const stream = preview.takeStream();
    this.#cleanup?.();
    this.#cleanup = null;
    this.#home = null;
    const screen = new CallScreen(this.#root, {
      kind: 'call',
      selfName: client.name,
      header: this.#header(h('h1', null, `Call with ${remote}`)),
      onLeave: () => void this.#hangup(),
    });
    const conv: Conversation = { kind: 'call', remote, call: null, screen, stream, ringback: playRingback() };
    this.#conversation = conv;
    document.title = `Calling ${remote} · Parley`;
    const cancel = h(
      'button',
      { class: 'button danger', type: 'button', onclick: () => void this.#hangup() },
      icon('hangup'),
      'Cancel',
    );
    screen.setWaiting({
      name: remote,
      title: `Calling ${remote}…`,
      detail: 'Waiting for them to answer.',
      actions: [cancel],
    });
    let call: Call;
    try {
      call = await client.call(remote, stream ? { stream } : { media: false });
    } catch (err) {
      if (this.#conversation !== conv) return;
      const text =
        err instanceof ParleyError && err.code === 'PEER_NOT_FOUND'
          ? `${remote} is not online right now.`
          : err instanceof ParleyError && err.code === 'FORBIDDEN'
            ? 'You are already in a call. Hang up first.'
            : isNamedError(err, 'TimeoutError')
              ? 'The server did not answer. Check your connection and try again.'
              : `Could not call ${remote}.`;
      this.#finishCall(conv, text, 'warning');
      return;
    }
    if (this.#conversation !== conv) {
      void call.hangup();
      return;
    }
    this.#bindCall(conv, call);
  }

  #bindCall(conv: Extract<Conversation, { kind: 'call' }>, call: Call): void {
    const client = this.#client!;
    conv.call = call;
    const { screen, remote } = conv;
    if (call.media) {
      screen.setMedia(call.media);
      if (conv.stream && this.#preview) {
        call.media.setMuted('audio', !this.#preview.audioOn);
        call.media.setMuted('video', !this.#preview.videoOn);
      }
    }
    const attach = (peer: PeerSession) => {
      const link = this.#links.get(peer);
      if (link) screen.addPeer(link);
    };
    call.on('accepted', () => {
      conv.ringback?.stop();
      conv.ringback = null;
      screen.setWaiting({ name: remote, title: 'Connecting…', detail: `${remote} answered.` });
      document.title = `Call with ${remote} · Parley`;
    });
    call.on('peer', attach);
    call.on('state', (state) => {
      if (state === 'connected') {
        screen.setWaiting(null);
        announce(`Connected with ${remote}`);
      } else if (state === 'reconnecting') {
        screen.showBanner('call-reconnecting', `The connection to ${remote} dropped; reconnecting…`, 'warn');
      }
      if (state === 'connected') screen.clearBanner('call-reconnecting');
    });
    call.on('ended', (reason, by) => {
      if (this.#conversation !== conv) return;
      const text = describeCallEnd(reason, remote, by, client.name);
      const tone = reason === 'hangup' || reason === 'cancelled' ? 'info' : 'warning';
      this.#finishCall(conv, text, tone);
    });
    if (call.peer) attach(call.peer);
    if (call.state === 'ended') {
      this.#finishCall(
        conv,
        describeCallEnd(call.endReason ?? 'closed', remote, call.endedBy, client.name),
        'warning',
      );
    }
  }

  async #hangup(): Promise<void> {
    const conv = this.#conversation;
    if (conv?.kind !== 'call') return;
    if (conv.call) await conv.call.hangup();
    else this.#finishCall(conv, 'Call cancelled.', 'info');
  }

  #finishCall(conv: Extract<Conversation, { kind: 'call' }>, text: string, tone: 'info' | 'warning'): void {
    if (this.#conversation !== conv) return;
    this.#endConversation();
    toast(text, tone, 7000);
    this.#onRoute();
  }

  #onIncoming(call: Call): void {
    const busy = this.#conversation?.kind === 'call';
    if (busy) {
      void call.busy();
      toast(`${call.remote} tried to call you while you were in a call.`, 'info');
      return;
    }
    openIncomingCall(call, {
      accept: () => void this.#acceptCall(call),
      decline: () => void call.decline(),
      missed: (reason) =>
        toast(
          reason === 'cancelled' || reason === 'no_answer'
            ? `Missed call from ${call.remote}.`
            : `${call.remote}’s call ended.`,
          'info',
        ),
    });
  }

  async #acceptCall(call: Call): Promise<void> {
    const client = this.#client;
    if (!client) return;
    if (this.#conversation) this.#endConversation();
    if (this.#route.page !== 'home') history.replaceState(null, '', '/#/');
    this.#route = { page: 'home' };
    this.#cleanup?.();
    this.#cleanup = null;
    this.#home = null;
    const preview = this.#ensurePreview();
    await preview.open();
    const stream = preview.takeStream();
    const screen = new CallScreen(this.#root, {
      kind: 'call',
      selfName: client.name,
      header: this.#header(h('h1', null, `Call with ${call.remote}`)),
      onLeave: () => void this.#hangup(),
    });
    const conv: Conversation = {
      kind: 'call',
      remote: call.remote,
      call: null,
      screen,
      stream,
      ringback: null,
    };
    this.#conversation = conv;
    document.title = `Call with ${call.remote} · Parley`;
    screen.setWaiting({
      name: call.remote,
      title: 'Connecting…',
      detail: `Setting up the call with ${call.remote}.`,
    });
    try {
      await call.accept(stream ? { stream } : { media: false });
    } catch {
      this.#finishCall(conv, `${call.remote}’s call ended before it could be answered.`, 'warning');
      return;
    }
    this.#bindCall(conv, call);
  }

  // ---- shared -------------------------------------------------------------------------------

  /** Ends the current call or room and tears its screen down. */
  #endConversation(): void {
    const conv = this.#conversation;
    if (!conv) return;
    this.#conversation = null;
    if (conv.kind === 'room') {
      conv.leaving = true;
      void conv.room?.leave();
    } else {
      conv.ringback?.stop();
      if (conv.call && conv.call.state !== 'ended') void conv.call.hangup();
    }
    conv.screen.destroy();
    stopStream(conv.stream);
    // The preview gave its stream away; the next screen opens the camera again.
    this.#preview?.destroy();
    this.#preview = null;
  }
}
