/**
 * The call screen, shared by direct calls and rooms. It composes the stage (components/
 * call-stage.ts: banners, the grid of tiles, the waiting overlay), the side panel
 * (call-side-panel.ts: chat and files, connection details) and the control bar with its keyboard
 * shortcuts (call-controls.ts), plus our own tiles and media actions (self-media.ts) and each
 * remote person's tiles (peer-tiles.ts). The call or room controller feeds it peer sessions and
 * local media; the screen wires each peer's features ({@link PeerLink}: chat, files, stats) to
 * the panels and its state to the tiles.
 *
 * Rooms feed it media from the room's events rather than each peer's (in a large room media
 * comes through the SFU, not the peer connections), tell it the room's mode and active speaker,
 * and receive each member's tile view (size or hidden) to pass on to the SDK.
 *
 * A screen: may import app/ (types, preferences), components/, media/ and ui/.
 */
import type { IncomingTransfer, LocalMedia, PeerLink, PeerSession, RemoteMediaState } from '@parley/client';
import { CHAT_LIMITS, type ChatMessageOf, type RoomMode } from '@parley/protocol';
import { HISTORY_KIND, HistoryInbox, historyBatch, type OwnMessage } from '../app/chat-history.ts';
import { ConversationRecord } from '../app/conversation-record.ts';
import {
  parseReaction,
  REACTION_KIND,
  REACTION_RATE,
  type ReactionEmoji,
  ReactionLimiter,
  reactionName,
  TokenBucket,
} from '../app/reactions.ts';
import { Roster } from '../app/roster.ts';
import { CallControls } from '../components/call-controls.ts';
import { CallSidePanel, type SideTab } from '../components/call-side-panel.ts';
import { type BannerTone, CallStage, type WaitingContent } from '../components/call-stage.ts';
import { CallTimer } from '../components/call-timer.ts';
import { ChatPanel } from '../components/chat-panel.ts';
import { ConnectionPanel } from '../components/connection-panel.ts';
import { PeerTiles } from '../components/peer-tiles.ts';
import { PeoplePanel } from '../components/people-panel.ts';
import { ReactionsView } from '../components/reactions-view.ts';
import { SelfMedia } from '../components/self-media.ts';
import { incomingCard, outgoingCard } from '../components/transfer-cards.ts';
import { chime } from '../media/audio.ts';
import { sampleFromSummary } from '../media/connection-stats.ts';
import { SfuStatsReader } from '../media/sfu-stats.ts';
import { type VideoView, VideoViews } from '../media/video-views.ts';
import { announce, dockToasts, toast } from '../ui/announce.ts';
import { Disposer, h, listen, replaceChildren } from '../ui/dom.ts';

export type { WaitingContent } from '../components/call-stage.ts';

/** Options of {@link CallScreen}. */
export interface CallScreenOptions {
  kind: 'room' | 'call';
  /** Our own name. */
  selfName: string;
  /** The room's name or the other person's, for the record kept after the call. */
  title?: string;
  /** The top bar, built by the app (title, link, status). */
  header: HTMLElement;
  /** Leave the room / hang up. */
  onLeave(): void;
  /**
   * Rooms: media comes from the room's events, which the app forwards ({@link CallScreen.roomTrack}
   * and the like), instead of each peer's own (in SFU mode the peers carry no media).
   */
  roomMedia?: boolean;
  /** Rooms: each member's camera-tile view (its size in CSS pixels, or hidden), for the SDK. */
  onVideoView?(name: string, view: VideoView): void;
  /**
   * Rooms: the SFU connections in SFU mode, and the layer asked for each person's camera, for
   * the connection panel.
   */
  sfuConnections?(): SfuConnections | undefined;
}

/** What the connection panel reads of a room's SFU session. */
export interface SfuConnections {
  publisher?: RTCPeerConnection | undefined;
  subscriber?: RTCPeerConnection | undefined;
  layerOf?(name: string): { substream: number; paused: boolean } | undefined;
}

/** How often the connection panel reads the SFU connections' stats. */
const SFU_STATS_EVERY_MS = 2000;
/** How long the notice of a mode change stays above the stage. */
const MODE_NOTICE_MS = 12_000;

interface PeerEntry {
  link: PeerLink;
  tiles: PeerTiles;
  offs: (() => void)[];
  failedShown: boolean;
}

/** The call/room screen. */
export class CallScreen {
  readonly #opts: CallScreenOptions;
  readonly #disposer = new Disposer();
  readonly #stage: CallStage;
  readonly #chat: ChatPanel;
  readonly #conn = new ConnectionPanel();
  readonly #side: CallSidePanel;
  readonly #controls: CallControls;
  readonly #self: SelfMedia;
  readonly #peers = new Map<string, PeerEntry>();
  readonly #layout: HTMLElement;
  #levelTimer: ReturnType<typeof setInterval>;
  readonly #views: VideoViews | null;
  readonly #narrow = window.matchMedia('(max-width: 860px)');
  #mode: RoomMode | null = null;
  #sfuTimer: ReturnType<typeof setInterval> | undefined;
  #modeNoticeTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #sfuStats = new SfuStatsReader();
  #destroyed = false;
  /** What was said and sent, kept by the app after the call (app/conversation-record.ts). */
  readonly record: ConversationRecord;
  readonly #roster: Roster;
  readonly #people = new PeoplePanel();
  /** The People tab's panel (a room adds its moderation to it). */
  get people(): PeoplePanel {
    return this.#people;
  }
  readonly #reactions: ReactionsView;
  readonly #reactionLimiter = new ReactionLimiter();
  readonly #reactionBucket = new TokenBucket(REACTION_RATE.burst, REACTION_RATE.refillMs);
  readonly #history = new HistoryInbox();
  /** Our own texts, oldest first, for late joiners (app/chat-history.ts). */
  readonly #mine: OwnMessage[] = [];
  /** Members who joined after us: they get our recent texts when the chat channel opens. */
  readonly #newcomers = new Set<string>();
  readonly #msgPrefix = Math.random().toString(36).slice(2, 10);
  #msgCount = 0;
  readonly #timer = new CallTimer();

  constructor(root: HTMLElement, opts: CallScreenOptions) {
    this.#opts = opts;
    this.record = new ConversationRecord(opts.kind, opts.title ?? '');
    this.#roster = new Roster(opts.selfName);
    this.#people.render(this.#roster.members);
    this.#reactions = new ReactionsView((emoji) => this.sendReaction(emoji));
    this.#stage = new CallStage(opts.kind === 'room' ? 'Participants' : 'Call');
    this.#stage.grid.setSpotlight(opts.kind === 'call');
    this.#views = opts.onVideoView ? new VideoViews(opts.onVideoView) : null;
    this.#chat = new ChatPanel(
      {
        send: (text) => this.#sendChat(text),
        sendFiles: (files) => this.#sendFiles(files),
        typing: (active) => {
          for (const e of this.#peers.values()) {
            try {
              e.link.chat?.sendTyping(active);
            } catch {
              // A closing channel: typing hints are best effort.
            }
          }
        },
      },
      CHAT_LIMITS.textMaxChars,
    );
    this.#side = new CallSidePanel(
      this.#chat.el,
      this.#conn.el,
      (tab) => this.showSide(tab),
      this.#people.el,
    );
    this.#controls = new CallControls(opts.kind, {
      toggleAudio: () => void this.toggleAudio(),
      toggleVideo: () => void this.toggleVideo(),
      toggleScreen: () => void this.toggleScreen(),
      openDevices: () => void this.openDevices(),
      toggleChat: () => this.showSide(this.#side.open === 'chat' ? null : 'chat'),
      toggleStats: () => this.showSide(this.#side.open === 'conn' ? null : 'conn'),
      leave: () => opts.onLeave(),
    });
    this.#chat.onUnread((n) => {
      this.#side.setUnread(n);
      this.#controls.buttons.chat.setBadge(n);
    });
    this.#self = new SelfMedia(this.#stage, this.#controls.buttons, opts.selfName);
    this.#stage.el.append(this.#reactions.layer, this.#reactions.bar);
    this.#layout = h('main', { class: 'call', id: 'main' }, this.#stage.el, this.#side.el, this.#controls.el);
    const title = opts.header.querySelector('h1');
    if (title) title.after(this.#timer.el);
    else opts.header.append(this.#timer.el);
    replaceChildren(root, opts.header, this.#layout);
    // Toasts take a row of the stage below the tiles, never covering anyone's video.
    dockToasts(this.#stage.el);
    // Open the chat on wide screens, without taking the focus: shortcuts must work at once.
    this.showSide(window.matchMedia('(min-width: 1100px)').matches ? 'chat' : null, { focus: false });

    this.#disposer.add(listen(document, 'keydown', (e) => this.#controls.onKey(e)));
    // Going narrow (a phone turned, a window shrunk): the side panel would cover the stage.
    const narrow = this.#narrow;
    const onNarrow = () => {
      if (narrow.matches && this.#side.open !== null) this.showSide(null, { focus: false });
      this.#views?.setStageCovered(narrow.matches && this.#side.open !== null);
    };
    narrow.addEventListener('change', onNarrow);
    this.#disposer.add(() => narrow.removeEventListener('change', onNarrow));
    this.#levelTimer = setInterval(() => this.#tickLevels(), 100);
    this.#disposer.add(() => clearInterval(this.#levelTimer));
  }

  /** Connected peer names. */
  get peerNames(): string[] {
    return [...this.#peers.keys()];
  }

  /** The per-peer features, for tests and the app. */
  link(name: string): PeerLink | undefined {
    return this.#peers.get(name)?.link;
  }

  // ---- side panel ------------------------------------------------------------------------

  /** Shows the chat or connection panel, or hides the side panel (null). */
  showSide(tab: SideTab | null, { focus = true }: { focus?: boolean } = {}): void {
    this.#side.show(tab);
    this.#layout.classList.toggle('with-side', tab !== null);
    this.#controls.buttons.chat.setPressed(tab === 'chat');
    this.#controls.buttons.stats.setPressed(tab === 'conn');
    this.#chat.setVisible(tab === 'chat');
    if (focus && tab === 'chat' && window.matchMedia('(min-width: 861px)').matches) this.#chat.focus();
    // On narrow screens the panel opens over the stage: nobody sees the videos meanwhile.
    this.#views?.setStageCovered(this.#narrow.matches && tab !== null);
    requestAnimationFrame(() => this.#stage.grid.layout());
  }

  // ---- overlays and banners ---------------------------------------------------------------

  /** Shows (or hides, with null) the overlay over the stage: calling…, waiting for others… */
  setWaiting(content: WaitingContent | null): void {
    this.#stage.setWaiting(content);
  }

  /** Shows a banner above the stage; the same `id` replaces it. */
  showBanner(id: string, text: string, tone: BannerTone = 'warn', actions: Node[] = []): void {
    this.#stage.showBanner(id, text, tone, actions);
  }

  /** Removes a banner. */
  clearBanner(id: string): void {
    this.#stage.clearBanner(id);
  }

  /** Adds a line to the chat (joins, leaves). */
  systemMessage(text: string): void {
    this.#chat.addSystem(text);
    this.record.system(text);
  }

  /** Starts the call timer (the call connected, or we joined the room). */
  startTimer(): void {
    this.#timer.start();
  }

  /**
   * Sends `name` (who just joined the room) our own recent texts once our chat channel with them
   * is open, so they see what was said before (app/chat-history.ts: each author sends only their
   * own). A peer session replaced meanwhile (a glare, a resume) gets them again when its channel
   * opens; the newcomer drops what it has already.
   */
  shareHistoryWith(name: string): void {
    this.#newcomers.add(name);
    const chat = this.#peers.get(name)?.link.chat;
    if (chat?.state === 'open') this.#sendHistory(name);
  }

  #sendHistory(name: string): void {
    const chat = this.#peers.get(name)?.link.chat;
    if (!chat || !this.#newcomers.has(name) || this.#mine.length === 0) return;
    try {
      chat.sendApp(HISTORY_KIND, historyBatch(this.#mine) as unknown as ChatMessageOf<'app'>['data']);
    } catch {
      // The channel closed meanwhile: they left again.
    }
  }

  /** Sends a reaction to everyone; false when refused (too many too fast, or nobody here). */
  sendReaction(emoji: ReactionEmoji): boolean {
    const chats = [...this.#peers.values()].flatMap((e) => {
      const chat = e.link.chat;
      return chat && chat.state === 'open' ? [chat] : [];
    });
    if (chats.length === 0) {
      toast('Nobody is here to see your reaction yet.', 'info');
      return false;
    }
    if (!this.#reactionBucket.take()) {
      announce('Too many reactions: wait a moment.');
      return false;
    }
    for (const chat of chats) {
      try {
        chat.sendApp(REACTION_KIND, { emoji });
      } catch {
        // A closing channel: the others still get it.
      }
    }
    this.#reactions.show(this.#opts.selfName, emoji);
    return true;
  }

  // ---- local media -------------------------------------------------------------------------

  /** Uses this local media (the call's or room's). */
  setMedia(media: LocalMedia): void {
    this.#self.setMedia(media);
  }

  /** Mutes or unmutes the microphone (or tries to open one if there is none). */
  toggleAudio(): Promise<void> {
    return this.#self.toggleAudio();
  }

  /** Turns the camera off or on (or tries to open one if there is none). */
  toggleVideo(): Promise<void> {
    return this.#self.toggleVideo();
  }

  /** Starts or stops sharing the screen. */
  toggleScreen(): Promise<void> {
    return this.#self.toggleScreen();
  }

  /** Opens the device dialog. */
  openDevices(): Promise<void> {
    return this.#self.openDevices();
  }

  // ---- peers -------------------------------------------------------------------------------

  /**
   * Adds a peer with its features (created by the app when the session was): a tile right away,
   * so the grid never jumps when video arrives, plus chat, files and stats.
   */
  addPeer(link: PeerLink): void {
    const peer = link.peer;
    const name = peer.remoteName;
    this.removePeer(name, null);
    const tiles = new PeerTiles(this.#stage.grid, name, this.#self.speaker);
    const entry: PeerEntry = { link, tiles, offs: [], failedShown: false };
    this.#peers.set(name, entry);
    this.record.met(name);
    if (this.#roster.add(name)) this.#people.render(this.#roster.members);
    this.#views?.watch(name, tiles.tile.el);
    entry.offs.push(
      peer.on('state', (state, reason) => this.#onPeerState(entry, state, reason)),
      link.stats.on('stats', (summary) => this.#conn.update(name, sampleFromSummary(summary))),
    );
    if (!this.#opts.roomMedia)
      entry.offs.push(
        peer.on('track', (track, stream) => this.#onTrack(entry, track, stream)),
        peer.on('track-removed', (_track, stream) => this.#onTrackRemoved(entry, stream)),
        peer.on('media-state', (state) => this.#onMediaState(entry, state)),
      );
    if (link.files) entry.offs.push(link.files.on('offer', (incoming) => this.#onFileOffer(entry, incoming)));
    if (link.chat)
      entry.offs.push(
        link.chat.on('chat', (msg) => {
          this.#chat.setTyping(name, false);
          this.#history.noteLive(name, msg.id);
          this.#chat.addMessage(name, msg.text, false, new Date(msg.ts));
          this.record.text(name, msg.text, false, msg.ts);
          if (this.#side.open !== 'chat') chime(true);
        }),
        link.chat.on('app', (msg) => this.#onApp(name, msg)),
        link.chat.on('open', () => this.#sendHistory(name)),
        link.chat.on('typing', (msg) => this.#chat.setTyping(name, msg.active)),
      );
    link.onUnreachable(() => {
      if (peer.state === 'connecting') this.#onPeerState(entry, 'failed', 'no network path found');
    });
    // Tracks that arrived before the tile (peer to peer only: through the SFU they come later).
    if (this.#mode !== 'sfu')
      for (const stream of peer.remoteStreams)
        for (const track of stream.getTracks()) this.#onTrack(entry, track, stream);
    const state = peer.remoteMediaState;
    if (state) this.#onMediaState(entry, state);
    this.#onPeerState(entry, peer.state, peer.reason);
  }

  /** Removes a peer's tiles and features; `message` goes to the chat and screen readers. */
  removePeer(name: string, message: string | null): void {
    const entry = this.#peers.get(name);
    if (!entry) return;
    this.#peers.delete(name);
    this.#reactionLimiter.forget(name);
    if (this.#roster.remove(name)) this.#people.render(this.#roster.members);
    this.#views?.unwatch(name);
    for (const off of entry.offs) off();
    entry.tiles.remove();
    this.#conn.remove(name);
    this.#chat.setTyping(name, false);
    this.clearBanner(`unreachable-${name}`);
    if (message) {
      this.#newcomers.delete(name);
      this.#chat.addSystem(message);
      this.record.system(message);
      announce(message);
    }
  }

  /** An app message on `name`'s chat channel: a room-history batch or a reaction. */
  #onApp(name: string, msg: ChatMessageOf<'app'>): void {
    if (msg.kind === HISTORY_KIND) {
      const earlier = this.#history.accept(name, msg.data);
      if (!earlier?.length) return;
      for (const m of earlier) {
        this.#chat.addEarlier(name, m.text, new Date(m.ts));
        this.record.text(name, m.text, false, m.ts, true);
      }
      return;
    }
    if (msg.kind === REACTION_KIND) {
      const emoji = parseReaction(msg.data);
      if (!emoji || !this.#reactionLimiter.allow(name)) return;
      this.#reactions.show(name, emoji);
      announce(`${name} reacted: ${reactionName(emoji)}`);
    }
  }

  #onPeerState(entry: PeerEntry, state: PeerSession['state'], reason?: string): void {
    const name = entry.link.name;
    switch (state) {
      case 'connecting':
        entry.tiles.tile.setBadge('Connecting…', 'warn');
        break;
      case 'connected':
        entry.tiles.tile.setBadge(null);
        this.clearBanner(`unreachable-${name}`);
        if (entry.failedShown) toast(`Connected to ${name} again.`, 'success');
        entry.failedShown = false;
        break;
      case 'reconnecting':
        entry.tiles.tile.setBadge('Reconnecting…', 'warn', 'refresh');
        this.#conn.setState(
          name,
          'Reconnecting…',
          'warn',
          'The network path was lost; looking for another one.',
        );
        break;
      case 'failed':
        entry.tiles.tile.setBadge('Unreachable', 'bad', 'alert');
        this.#conn.setState(
          name,
          'Unreachable',
          'bad',
          `No network path to ${name}${reason ? ` (${reason})` : ''}.`,
        );
        if (!entry.failedShown) {
          entry.failedShown = true;
          this.showBanner(
            `unreachable-${name}`,
            `Cannot reach ${name}: no direct network path between you. This usually needs a TURN relay on the server; the self-test shows whether one is configured.`,
            'bad',
            [
              h(
                'a',
                { class: 'button ghost', href: '#/test', target: '_blank', rel: 'noopener' },
                'Open self-test',
              ),
            ],
          );
        }
        break;
      case 'closed':
        break;
    }
  }

  #onTrack(entry: PeerEntry, track: MediaStreamTrack, stream: MediaStream): void {
    entry.tiles.addTrack(track, stream, entry.link.peer.remoteMediaState);
  }

  #onTrackRemoved(entry: PeerEntry, stream: MediaStream): void {
    entry.tiles.removeTrack(stream);
  }

  #onMediaState(entry: PeerEntry, state: RemoteMediaState): void {
    entry.tiles.setMediaState(state);
    this.#views?.setCameraOff(entry.link.name, !state.video);
  }

  // ---- rooms: media from the room's events, mode, active speaker ---------------------------

  /** A member's track, from the room (mesh or SFU). */
  roomTrack(peer: PeerSession, track: MediaStreamTrack, stream: MediaStream): void {
    const entry = this.#peers.get(peer.remoteName);
    if (entry?.link.peer === peer) this.#onTrack(entry, track, stream);
  }

  /** A member's track went away, from the room. */
  roomTrackRemoved(peer: PeerSession, stream: MediaStream): void {
    const entry = this.#peers.get(peer.remoteName);
    if (entry?.link.peer === peer) this.#onTrackRemoved(entry, stream);
  }

  /** A member's mute, camera and screen state, from the room. */
  roomMediaState(peer: PeerSession, state: RemoteMediaState): void {
    const entry = this.#peers.get(peer.remoteName);
    if (entry?.link.peer === peer) this.#onMediaState(entry, state);
  }

  /** Highlights the room's active speaker (undefined: nobody) and keeps them in view. */
  setActiveSpeaker(name: string | undefined): void {
    this.#stage.grid.setActiveSpeaker(name);
    if (this.#roster.setActiveSpeaker(name)) this.#people.render(this.#roster.members);
  }

  /** The room's media mode. `notice` says so above the stage and to screen readers. */
  setRoomMode(mode: RoomMode, notice: string | null): void {
    const previous = this.#mode;
    this.#mode = mode;
    this.#conn.setMode(mode);
    this.#layout.dataset.mode = mode;
    if (previous !== null && previous !== mode) {
      // Media now arrives on new connections: each member's next stream is their camera again.
      for (const entry of this.#peers.values()) entry.tiles.resetStreams();
    }
    clearInterval(this.#sfuTimer);
    this.#sfuTimer = undefined;
    if (mode === 'sfu' && this.#opts.sfuConnections) {
      this.#sfuStats.reset();
      this.#sfuTimer = setInterval(() => void this.#readSfuStats(), SFU_STATS_EVERY_MS);
    }
    if (notice) {
      this.showBanner('mode', notice, 'info');
      this.#chat.addSystem(notice);
      announce(notice);
      clearTimeout(this.#modeNoticeTimer);
      this.#modeNoticeTimer = setTimeout(() => this.clearBanner('mode'), MODE_NOTICE_MS);
    }
  }

  async #readSfuStats(): Promise<void> {
    const conns = this.#opts.sfuConnections?.();
    if (!conns || (!conns.publisher && !conns.subscriber)) return;
    try {
      const sample = await this.#sfuStats.read(conns.publisher, conns.subscriber);
      if (this.#destroyed || this.#mode !== 'sfu') return;
      const names = new Map<string, string>();
      for (const entry of this.#peers.values()) entry.tiles.nameTracks(names);
      this.#conn.updateSfu(
        sample,
        (id) => names.get(id),
        (name) => conns.layerOf?.(name),
      );
    } catch {
      // A connection closing under us (a mode change, an SFU restart): the next read catches up.
    }
  }

  #tickLevels(): void {
    const levels = new Map<string, number>([[this.#opts.selfName, this.#self.tickLevel()]]);
    for (const [name, entry] of this.#peers) levels.set(name, entry.tiles.tickLevel());
    if (this.#roster.levels(levels)) this.#people.render(this.#roster.members);
  }

  // ---- chat and files ----------------------------------------------------------------------

  #sendChat(text: string): boolean {
    const open = [...this.#peers.values()].flatMap((e) => {
      const chat = e.link.chat;
      return chat && (chat.state === 'open' || chat.state === 'connecting') ? [chat] : [];
    });
    if (open.length === 0) {
      toast('Nobody can receive messages yet: wait until someone is connected.', 'warning');
      return false;
    }
    // One id for everyone, so late joiners and reconnects can tell a text they already have.
    const msg: ChatMessageOf<'chat'> = {
      type: 'chat',
      id: `${this.#msgPrefix}-${(this.#msgCount++).toString(36)}`,
      text,
      ts: Date.now(),
    };
    let sent = 0;
    for (const chat of open) {
      try {
        chat.send(msg);
        sent++;
      } catch {
        // This peer's channel is closing; the others still get the message.
      }
    }
    if (sent === 0) {
      toast('The message could not be sent. Try again in a moment.', 'error');
      return false;
    }
    this.#chat.addMessage(this.#opts.selfName, text, true);
    this.record.text(this.#opts.selfName, text, true, msg.ts);
    this.#mine.push({ id: msg.id, text, ts: msg.ts });
    if (this.#mine.length > 200) this.#mine.splice(0, this.#mine.length - 200);
    return true;
  }

  #sendFiles(files: File[]): void {
    const peers = [...this.#peers.values()].flatMap((e) => {
      const files = e.link.files;
      const up = e.link.peer.state === 'connected' || e.link.peer.state === 'reconnecting';
      return files && up ? [{ entry: e, files }] : [];
    });
    if (peers.length === 0) {
      toast('Nobody is connected to receive files yet.', 'warning');
      return;
    }
    for (const file of files) {
      for (const { entry, files: transfers } of peers) {
        const transfer = transfers.send(file, { name: file.name });
        const card = outgoingCard(file, entry.link.name, transfer);
        this.#chat.addFile(card, true, this.#opts.selfName);
        const kept = this.record.file(entry.link.name, file.name, file.size, true);
        void transfer.finished.then((result) => {
          if (result.state === 'completed') this.record.delivered(kept);
        });
      }
    }
    this.showSide('chat');
  }

  #onFileOffer(entry: PeerEntry, incoming: IncomingTransfer): void {
    const card = incomingCard(incoming, entry.link.name);
    this.#chat.addFile(card, false, entry.link.name);
    const kept = this.record.file(entry.link.name, incoming.name, incoming.size, false);
    void incoming.finished.then((result) => {
      if (result.state === 'completed' && incoming.blob) this.record.completeFile(kept, incoming.blob);
    });
    const offer = toast(`${entry.link.name} wants to send you “${incoming.name}”.`, 'info', 15_000);
    // Accepted, declined or gone: the toast has nothing left to ask.
    incoming.on('state', (state) => {
      if (state !== 'pending') offer.dismiss();
    });
    if (this.#side.open !== 'chat') chime(true);
  }

  /** Tears the screen down (peers, meters, listeners). The app stops media it owns itself. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#timer.stop();
    this.#reactions.destroy();
    for (const name of [...this.#peers.keys()]) this.removePeer(name, null);
    this.#self.close();
    clearInterval(this.#sfuTimer);
    clearTimeout(this.#modeNoticeTimer);
    this.#views?.close();
    this.#stage.grid.destroy();
    dockToasts(null);
    this.#disposer.dispose();
  }
}
