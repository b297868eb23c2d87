/**
 * The app controller: owns the SDK client, the route, and which screen is on. It signs in, turns
 * SDK events into screens and plain messages (what to do when the server is unreachable), and
 * keeps the camera preview open from the name screen into the call so the camera is opened once.
 * Rooms and calls are entered through room-controller.ts and call-controller.ts, whose behaviour
 * lives in app/room-session.ts and app/call-session.ts.
 *
 * The top of the web app: may import every other folder; nothing imports it but main.ts.
 */
import {
  type Call,
  type ClientState,
  connect,
  type ParleyClient,
  ParleyError,
  PeerLink,
  type PeerSession,
  type Room,
} from '@parley/client';
import { MissedCalls, WakeLockHolder } from '../app/attention.ts';
import { AfterCalls } from '../app/conversation-record.ts';
import { type SavedCall, saveCall, savedCall } from '../app/conversation-store.ts';
import { signalingUrl } from '../app/endpoints.ts';
import { forgetInviteToken, inviteToken, tokenName } from '../app/invite.ts';
import { lazyPart, withSlowNotice } from '../app/lazy-part.ts';
import { ReclaimFailure, signInReclaiming } from '../app/name-reclaim.ts';
import { readPref, setTabSession, tabSession, writePref } from '../app/prefs.ts';
import { hrefFor, navigate, parseRoute, type Route } from '../app/router.ts';
import { describeLoginFailure, describeSignalingFailure } from '../app/sign-in-words.ts';
import { AfterCallPanel } from '../components/after-call-panel.ts';
import { MissedCallsPanel, NotifyOffer } from '../components/missed-calls-panel.ts';
import { SelfPreview } from '../components/self-preview.ts';
import { unlockAudio } from '../media/audio.ts';
import { stopStream } from '../media/local-media.ts';
import { renderGate } from '../screens/gate-screen.ts';
import { type HomeView, renderHome } from '../screens/home-screen.ts';
import { renderPartFailure, renderPartLoading } from '../screens/part-loading-screen.ts';
import { announce, toast } from '../ui/announce.ts';
import { avatar, chip, setChip, topbar } from '../ui/common.ts';
import { h, replaceChildren } from '../ui/dom.ts';
import { icon } from '../ui/icons.ts';
import type { CallConversation, CallHost } from './call-controller.ts';
import { rangHere, ringIncoming } from './incoming-ring.ts';
import { installLeaveGuard, takeDeliberateLeave } from './leave-guard.ts';
import type { RoomConversation, RoomHost } from './room-controller.ts';

// What the home and sign-in screens do not need is loaded on demand, in chunks of its own: the
// call screen and its components with the call and room controllers (and the SDK's SFU parts they
// pull in), and the self-test. A first visit downloads less (docs/BENCHMARKS.md, "Build, start and
// package size"; test/e2e/weight/first-visit.test.ts holds the budget).
const loadCalls = lazyPart(() => import('./call-controller.ts'));
const loadRooms = lazyPart(() => import('./room-controller.ts'));
const loadSelfTest = lazyPart(() => import('../screens/self-test-screen.ts'));

type Conversation = RoomConversation | CallConversation;

/** What tests (and curious people in the console) can reach as `window.parley`. */
export interface ParleyDebug {
  readonly client: ParleyClient | null;
  readonly room: Room | null;
  readonly call: Call | null;
  readonly links: PeerLink[];
}

/** The Parley web app. */
/** Wait after the last keystroke before a presence search goes to the server. */
const SEARCH_DEBOUNCE_MS = 250;

export class ParleyApp {
  readonly #root: HTMLElement;
  readonly #links = new Map<PeerSession, PeerLink>();
  readonly #status = chip('Connected', 'ok');
  #client: ParleyClient | null = null;
  #preview: SelfPreview | null = null;
  #conversation: Conversation | null = null;
  #home: HomeView | null = null;
  #searchTimer: ReturnType<typeof setTimeout> | undefined;
  #searchSeq = 0;
  #cleanup: (() => void) | null = null;
  #route: Route = { page: 'home' };
  #logoutNotice: string | undefined;
  #triedResume = false;
  /** The room being entered (camera opening, joining), so a repeated route does not enter twice. */
  #enteringRoom: string | null = null;
  /** A password typed on the home screen for the room about to be joined. */
  #roomPassword: { room: string; password: string } | null = null;
  /** The chat and files of calls and rooms that ended, shown on the home screen until dismissed. */
  readonly #afterCalls = new AfterCalls();
  /** Calls that rang and were not answered (the SDK's `missed-call`), on the home screen. */
  readonly #missed = new MissedCalls();
  /** Keeps the screen awake during calls and rooms (and their transfers); app/attention.ts. */
  readonly #wakeLock = new WakeLockHolder({
    request: 'wakeLock' in navigator ? () => navigator.wakeLock.request('screen') : null,
    get hidden() {
      return document.hidden;
    },
  });
  /** Asks before a call or room is left by navigation (see leave-guard.ts). */
  readonly #guard: ReturnType<typeof installLeaveGuard>;
  /** Where the conversation lives (its hash), to put the address back when the person stays. */
  #conversationHref = '#/';

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
    // The browser drops a wake lock when the tab is hidden: take it back when it shows again.
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) void this.#wakeLock.visible();
    });
    this.#guard = installLeaveGuard({
      current: () => {
        const c = this.#conversation;
        if (!c) return null;
        return c.kind === 'call' ? { kind: 'call', label: c.remote } : { kind: 'room', label: c.name };
      },
      leave: (href) => {
        this.#endConversation();
        if (href !== null && href !== location.hash) location.hash = href;
        else if (href === null && parseRoute().page === 'room') navigate({ page: 'home' });
        else this.#onRoute();
      },
    });
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
        return c?.kind === 'room' ? c.session.room : null;
      },
      get call() {
        const c = app.#conversation;
        return c?.kind === 'call' ? c.session.call : null;
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
    const deliberate = takeDeliberateLeave();
    if (this.#conversation && !deliberate) {
      // Back, or an address typed: put the conversation's address back and ask first.
      this.#route = previous;
      history.replaceState({ parleyGuard: 1 }, '', `/${this.#conversationHref}`);
      this.#guard.ask(hrefFor(route));
      return;
    }
    // Leaving a room or call page ends it.
    if (this.#conversation) this.#endConversation();
    this.#cleanup?.();
    this.#cleanup = null;
    this.#home = null;
    if (route.page === 'test') {
      this.#preview?.destroy();
      this.#preview = null;
      document.title = 'Self-test · Parley';
      const wanted = () => this.#route === route;
      void this.#part('the self-test', loadSelfTest, wanted).then((selfTest) => {
        if (selfTest && wanted()) this.#cleanup = selfTest.renderSelfTest(this.#root);
      });
      return;
    }
    if (!this.#client) {
      this.#showGate(route.page === 'room' ? route.room : null);
      return;
    }
    if (route.page === 'room' && route.brokenE2ee) {
      // Never fall back to a room in clear when the link asked for end-to-end encryption.
      toast(
        `This link to room ${route.room} asks for end-to-end encryption, but its secret is damaged (cut short or changed). Ask for the link again; nothing was joined.`,
        'error',
        12_000,
      );
      navigate({ page: 'home' });
    } else if (route.page === 'room') void this.#enterRoom(route.room, route.large === true, route.e2ee);
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
      submit: (name, onWaiting) => this.#login(name, onWaiting),
    });
  }

  /**
   * Signs in as `name`. When the name is the one this browser last used and is still held (its
   * old tab is closing), waits for it quietly (see app/name-reclaim.ts), calling `onWaiting`.
   */
  async #login(name: string, onWaiting?: () => void): Promise<string | null> {
    unlockAudio();
    let client: ParleyClient;
    try {
      client = await signInReclaiming(
        () => {
          const token = inviteToken();
          // A reloaded tab takes up the call or room it was in (the SDK keeps them for a moment).
          const call = savedCall();
          const route = parseRoute();
          return connect(signalingUrl(), {
            name,
            ...(token ? { token } : {}),
            rejoin: {
              calls: call ? [call.id] : [],
              rooms: route.page === 'room' ? [route.room] : [],
            },
            features: [(peer) => this.#links.set(peer, new PeerLink(peer))],
          });
        },
        { name, lastUsed: readPref('name'), ...(onWaiting ? { onWaiting } : {}) },
      );
    } catch (failure) {
      const err = failure instanceof ReclaimFailure ? failure.error : failure;
      const waited = failure instanceof ReclaimFailure && failure.waited;
      const invited = inviteToken() !== null;
      if (invited && err instanceof ParleyError && err.code === 'UNAUTHORIZED') forgetInviteToken();
      return describeLoginFailure(err, name, invited, waited);
    }
    writePref('name', name);
    setTabSession(name);
    this.#client = client;
    this.#wireClient(client);
    announce(`Signed in as ${name}`);
    const saved = savedCall();
    if (saved) void this.#rejoinCall(client, saved);
    else this.#onRoute();
    return null;
  }

  #wireClient(client: ParleyClient): void {
    client.on('state', (state, reason) => this.#onClientState(state, reason));
    client.on('reconnected', () => {
      toast('Reconnected to the server.', 'success');
      // A fresh session (the server restarted) has no presence subscription: the SDK asks again
      // for the same view and emits `presence` with what changed.
    });
    client.on('incoming', (call) => this.#onIncoming(call));
    client.on('missed-call', (m) => {
      if (this.#client !== client) return;
      if (!this.#missed.add({ call: m.call, from: m.from, at: m.at })) return;
      // A call that rang here was already told by the ring's toast; one missed while away was not.
      if (!rangHere(m.call)) toast(`Missed call from ${m.from} while you were away.`, 'info', 7000);
    });
    client.on('presence', () => this.#home?.setOnline([...client.online], client.onlineTotal));
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
    const afterCalls = new AfterCallPanel(this.#afterCalls);
    const missed = new MissedCallsPanel(this.#missed, (name) => void this.#startCall(name));
    const view = renderHome(this.#root, {
      name: client.name,
      notices: [missed.el, new NotifyOffer().el],
      afterCalls: afterCalls.el,
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
      onCall: (name, encrypted) => void this.#startCall(name, encrypted),
      onSearchOnline: (prefix) => this.#searchOnline(prefix),
      onRoom: (room, password, large, e2ee) => {
        this.#roomPassword = password ? { room, password } : null;
        navigate({ page: 'room', room, ...(large ? { large } : {}), ...(e2ee ? { e2ee } : {}) });
      },
    });
    this.#home = view;
    this.#cleanup = () => {
      afterCalls.destroy();
      missed.destroy();
    };
    client.watchPresence().then(
      (names) => this.#home === view && view.setOnline(names, client.onlineTotal),
      (err: unknown) => {
        if (this.#home !== view) return;
        if (err instanceof ParleyError && err.code === 'FORBIDDEN') view.setPresenceUnavailable();
      },
    );
  }

  /**
   * Asks for the online names starting with `prefix`, a moment after the last keystroke (each
   * search is a request to the server); a newer search wins over an older answer.
   */
  #searchOnline(prefix: string): void {
    clearTimeout(this.#searchTimer);
    this.#searchTimer = setTimeout(() => {
      const client = this.#client;
      const view = this.#home;
      if (!client || !view) return;
      const asked = ++this.#searchSeq;
      client.watchPresence(prefix === '' ? {} : { prefix }).then(
        (names) => {
          if (this.#home === view && asked === this.#searchSeq) view.setOnline(names, client.onlineTotal);
        },
        () => undefined,
      );
    }, SEARCH_DEBOUNCE_MS);
  }

  /** Signs out: frees the name at once (`bye`) and shows the name screen. */
  #signOut(): void {
    const client = this.#client;
    if (!client) return;
    this.#client = null;
    setTabSession(null);
    // What was said in this person's calls is theirs: not for whoever signs in next in this tab.
    this.#afterCalls.clear();
    this.#missed.clear();
    saveCall(null);
    client.close();
    announce('Signed out');
    this.#onRoute();
  }

  // ---- rooms and calls ----------------------------------------------------------------------

  async #enterRoom(name: string, large: boolean, e2ee?: string): Promise<void> {
    const client = this.#client;
    if (!client) return;
    document.title = `${name} · Parley`;
    const preview = this.#ensurePreview();
    const wanted = () => this.#route.page === 'room' && this.#route.room === name;
    this.#enteringRoom = name;
    let rooms: typeof import('./room-controller.ts') | null;
    try {
      // The room's code loads while the camera opens.
      const loading = this.#part('the room', loadRooms, wanted);
      await preview.open();
      rooms = await loading;
    } finally {
      this.#enteringRoom = null;
    }
    if (!rooms) this.#closePreview();
    if (!rooms || !wanted()) return;
    const password = this.#roomPassword?.room === name ? this.#roomPassword.password : null;
    this.#roomPassword = null;
    await rooms.enterRoom(this.#host(client, preview), name, {
      large,
      ...(e2ee ? { e2ee } : {}),
      password,
      stream: preview.takeStream(),
    });
  }

  async #startCall(remote: string, encrypted = false): Promise<void> {
    const client = this.#client;
    if (!client || this.#conversation) return;
    const preview = this.#ensurePreview();
    const loading = this.#part(
      'the call screen',
      loadCalls,
      () => this.#client === client && !this.#conversation,
    );
    await preview.open();
    const calls = await loading;
    if (!calls) return this.#closePreview();
    const stream = preview.takeStream();
    this.#cleanup?.();
    this.#cleanup = null;
    this.#home = null;
    await calls.startCall(this.#host(client, preview), remote, stream, encrypted);
  }

  /** After a reload: the call this tab was in, taken up again (or, failing that, home). */
  async #rejoinCall(client: ParleyClient, saved: SavedCall): Promise<void> {
    if (this.#route.page !== 'home') history.replaceState(null, '', '/#/');
    this.#route = { page: 'home' };
    const preview = this.#ensurePreview();
    const loading = this.#part('the call screen', loadCalls, () => this.#client === client);
    await preview.open();
    const calls = await loading;
    if (!calls) {
      saveCall(null);
      return this.#closePreview();
    }
    await calls.rejoinCall(this.#host(client, preview), saved, preview.takeStream());
  }

  #onIncoming(call: Call): void {
    const busy = this.#conversation?.kind === 'call';
    if (busy) {
      void call.busy();
      toast(`${call.remote} tried to call you while you were in a call.`, 'info');
      return;
    }
    ringIncoming(call, () => void this.#acceptCall(call));
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
    const loading = this.#part('the call screen', loadCalls, () => this.#client === client);
    await preview.open();
    const calls = await loading;
    if (!calls) {
      void call.decline();
      return this.#closePreview();
    }
    await calls.answerCall(this.#host(client, preview), call, preview.takeStream());
  }

  /** What a room or call screen needs from the app. */
  #host(client: ParleyClient, preview: SelfPreview): RoomHost & CallHost {
    return {
      root: this.#root,
      client,
      preview,
      header: (title: Node, ...extra: Node[]) => this.#header(title, ...extra),
      linkOf: (peer) => this.#links.get(peer),
      isCurrent: (conv) => this.#conversation === conv,
      adopt: (conv) => {
        this.#conversation = conv;
        this.#conversationHref = hrefFor(this.#route);
        this.#guard.started();
        void this.#wakeLock.hold('conversation');
      },
      drop: (conv) => {
        if (this.#conversation === conv) this.#conversation = null;
        if (!this.#conversation) void this.#wakeLock.letGo('conversation');
      },
      finish: (conv, text, tone) => {
        if (this.#conversation !== conv) return;
        this.#endConversation();
        toast(text, tone, 7000);
        this.#onRoute();
      },
    };
  }

  // ---- shared -------------------------------------------------------------------------------

  /**
   * Loads a part of the app (see the loaders at the top), saying so if it takes a moment and
   * showing why (with Reload) if it fails; `wanted` says whether the person still waits for it
   * (they may have gone elsewhere meanwhile). Resolves to null on failure.
   */
  async #part<T>(part: string, load: () => Promise<T>, wanted: () => boolean): Promise<T | null> {
    try {
      return await withSlowNotice(load(), () => wanted() && renderPartLoading(this.#root, part));
    } catch (err) {
      console.error(`Parley: could not load ${part}`, err);
      if (wanted())
        renderPartFailure(this.#root, part, () =>
          this.#route.page === 'home' ? this.#onRoute() : navigate({ page: 'home' }),
        );
      return null;
    }
  }

  /** Closes the camera preview (a part failed to load: nothing will take its stream). */
  #closePreview(): void {
    this.#preview?.destroy();
    this.#preview = null;
  }

  /** Ends the current call or room and tears its screen down. */
  #endConversation(): void {
    const conv = this.#conversation;
    if (!conv) return;
    this.#conversation = null;
    void this.#wakeLock.letGo('conversation');
    // Nothing lost at hang-up: the chat and files stay on the home screen until dismissed.
    this.#afterCalls.keep(conv.screen.record);
    if (conv.kind === 'room') conv.session.leave();
    else {
      conv.ringback?.stop();
      conv.session.close();
    }
    conv.screen.destroy();
    stopStream(conv.stream);
    // The preview gave its stream away; the next screen opens the camera again.
    this.#preview?.destroy();
    this.#preview = null;
  }
}
