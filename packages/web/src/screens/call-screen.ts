/**
 * The call screen, shared by direct calls and rooms: the stage (grid of tiles), the control bar,
 * and the side panel with the chat (and files) and the connection details. The call or room
 * controller feeds it peer sessions and local media; the screen owns the tiles, per-peer
 * features ({@link PeerLink}), the keyboard shortcuts and the speaking indicators.
 *
 * Rooms feed it media from the room's events rather than each peer's (in a large room media
 * comes through the SFU, not the peer connections), tell it the room's mode and active speaker,
 * and receive each member's tile view (size or hidden) to pass on to the SDK.
 */
import type {
  IncomingTransfer,
  LocalMedia,
  OutgoingTransfer,
  PeerSession,
  RemoteMediaState,
  TransferState,
} from '@parley/client';
import { CHAT_LIMITS, type RoomMode } from '@parley/protocol';
import type { PeerLink } from '../app/peer-link.ts';
import { readPref, writePref } from '../app/prefs.ts';
import { ChatPanel } from '../components/chat-panel.ts';
import { ConnectionPanel } from '../components/connection-panel.ts';
import { ControlButton, controlBar } from '../components/controls.ts';
import { type DeviceKind, openDeviceDialog } from '../components/device-dialog.ts';
import { type CardState, FileCard } from '../components/file-card.ts';
import { openHelpDialog } from '../components/help-dialog.ts';
import { VideoGrid } from '../components/video-grid.ts';
import { VideoTile } from '../components/video-tile.ts';
import { chime, createLevelMeter, type LevelMeter } from '../media/audio.ts';
import { sampleFromSummary } from '../media/connection-stats.ts';
import { describeMediaProblem, MediaAccessError, openScreen, openUserMedia } from '../media/local-media.ts';
import { SfuStatsReader } from '../media/sfu-stats.ts';
import { type VideoView, VideoViews } from '../media/video-views.ts';
import { announce, toast } from '../ui/announce.ts';
import { avatar } from '../ui/common.ts';
import { Disposer, h, listen, replaceChildren } from '../ui/dom.ts';
import { icon } from '../ui/icons.ts';

/** Options of {@link CallScreen}. */
export interface CallScreenOptions {
  kind: 'room' | 'call';
  /** Our own name. */
  selfName: string;
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

/** What the waiting overlay says (calling…, waiting for others…). */
export interface WaitingContent {
  name?: string;
  title: string;
  detail?: string;
  actions?: Node[];
}

interface PeerEntry {
  link: PeerLink;
  tile: VideoTile;
  mainStream: MediaStream | null;
  screens: Map<string, VideoTile>;
  meter: LevelMeter | null;
  meterStream: MediaStream | null;
  offs: (() => void)[];
  failedShown: boolean;
}

/** The call/room screen. */
export class CallScreen {
  readonly #opts: CallScreenOptions;
  readonly #disposer = new Disposer();
  readonly #grid: VideoGrid;
  readonly #selfTile: VideoTile;
  #selfScreenTile: VideoTile | null = null;
  readonly #chat: ChatPanel;
  readonly #conn = new ConnectionPanel();
  readonly #peers = new Map<string, PeerEntry>();
  readonly #banners: HTMLElement;
  readonly #waiting: HTMLElement;
  readonly #layout: HTMLElement;
  readonly #side: HTMLElement;
  readonly #tabs: { chat: HTMLButtonElement; conn: HTMLButtonElement };
  readonly #panels: { chat: HTMLElement; conn: HTMLElement };
  readonly #chatCount: HTMLElement;
  readonly #buttons: Record<
    'mic' | 'cam' | 'screen' | 'devices' | 'chat' | 'stats' | 'help' | 'leave',
    ControlButton
  >;
  #media: LocalMedia | null = null;
  #mediaOffs: (() => void)[] = [];
  #selfMeter: LevelMeter | null = null;
  #selfMeterStream: MediaStream | null = null;
  #sideTab: 'chat' | 'conn' | null = null;
  #speaker: string | null = readPref('speaker');
  #levelTimer: ReturnType<typeof setInterval>;
  readonly #views: VideoViews | null;
  readonly #narrow = window.matchMedia('(max-width: 860px)');
  #mode: RoomMode | null = null;
  #sfuTimer: ReturnType<typeof setInterval> | undefined;
  #modeNoticeTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #sfuStats = new SfuStatsReader();
  #destroyed = false;

  constructor(root: HTMLElement, opts: CallScreenOptions) {
    this.#opts = opts;
    this.#grid = new VideoGrid(opts.kind === 'room' ? 'Participants' : 'Call');
    this.#grid.setSpotlight(opts.kind === 'call');
    this.#views = opts.onVideoView ? new VideoViews(opts.onVideoView) : null;
    this.#selfTile = new VideoTile(opts.selfName, { self: true });
    this.#grid.add(this.#selfTile);

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
    this.#chatCount = h('span', { class: 'count', 'aria-label': 'unread' });
    this.#tabs = {
      chat: h(
        'button',
        {
          class: 'tab',
          role: 'tab',
          id: 'tab-chat',
          'aria-controls': 'panel-chat',
          onclick: () => this.showSide('chat'),
        },
        icon('chat'),
        'Chat',
        this.#chatCount,
      ),
      conn: h(
        'button',
        {
          class: 'tab',
          role: 'tab',
          id: 'tab-conn',
          'aria-controls': 'panel-conn',
          onclick: () => this.showSide('conn'),
        },
        icon('signal'),
        'Connection',
      ),
    };
    this.#panels = {
      chat: this.#chat.el,
      conn: this.#conn.el,
    };
    this.#panels.chat.id = 'panel-chat';
    this.#panels.chat.setAttribute('role', 'tabpanel');
    this.#panels.chat.setAttribute('aria-labelledby', 'tab-chat');
    const connPanel = h(
      'div',
      { class: 'tabpanel', id: 'panel-conn', role: 'tabpanel', 'aria-labelledby': 'tab-conn' },
      this.#conn.el,
    );
    this.#panels.conn = connPanel;
    this.#side = h(
      'aside',
      { class: 'side', 'aria-label': 'Side panel' },
      h(
        'div',
        {
          class: 'tabs',
          role: 'tablist',
          'aria-label': 'Side panel',
          // Arrow keys move between tabs (WAI-ARIA tabs pattern).
          onkeydown: (e: KeyboardEvent) => {
            if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
            e.preventDefault();
            const next = this.#sideTab === 'chat' ? 'conn' : 'chat';
            this.showSide(next);
            this.#tabs[next].focus();
          },
        },
        this.#tabs.chat,
        this.#tabs.conn,
        h(
          'button',
          {
            class: 'icon-button side-close',
            type: 'button',
            'aria-label': 'Close side panel',
            onclick: () => this.showSide(null),
          },
          icon('cross'),
        ),
      ),
      this.#panels.chat,
      connPanel,
    );
    this.#chat.onUnread((n) => {
      this.#chatCount.textContent = n > 0 ? String(n) : '';
      this.#buttons.chat.setBadge(n);
    });

    const leaveLabel = opts.kind === 'room' ? 'Leave room' : 'Hang up';
    this.#buttons = {
      mic: new ControlButton({
        label: 'Mute microphone',
        icon: 'mic',
        pressedIcon: 'micOff',
        shortcut: 'M',
        tone: 'off',
        toggle: true,
        onClick: () => void this.toggleAudio(),
      }),
      cam: new ControlButton({
        label: 'Stop camera',
        icon: 'cam',
        pressedIcon: 'camOff',
        shortcut: 'V',
        tone: 'off',
        toggle: true,
        onClick: () => void this.toggleVideo(),
      }),
      screen: new ControlButton({
        label: 'Share screen',
        icon: 'screen',
        pressedIcon: 'screenOff',
        shortcut: 'S',
        tone: 'on',
        toggle: true,
        onClick: () => void this.toggleScreen(),
      }),
      devices: new ControlButton({
        label: 'Devices',
        icon: 'settings',
        shortcut: 'D',
        onClick: () => void this.openDevices(),
      }),
      chat: new ControlButton({
        label: 'Chat',
        icon: 'chat',
        shortcut: 'C',
        tone: 'on',
        toggle: true,
        onClick: () => this.showSide(this.#sideTab === 'chat' ? null : 'chat'),
      }),
      stats: new ControlButton({
        label: 'Connection details',
        icon: 'stats',
        shortcut: 'I',
        tone: 'on',
        toggle: true,
        onClick: () => this.showSide(this.#sideTab === 'conn' ? null : 'conn'),
      }),
      help: new ControlButton({
        label: 'Keyboard shortcuts',
        icon: 'keyboard',
        shortcut: '?',
        className: 'desktop-only',
        onClick: () => openHelpDialog(),
      }),
      leave: new ControlButton({
        label: leaveLabel,
        icon: 'hangup',
        shortcut: 'Esc',
        tone: 'hangup',
        onClick: () => opts.onLeave(),
      }),
    };
    if (!navigator.mediaDevices?.getDisplayMedia)
      this.#buttons.screen.setEnabled(false, 'This browser cannot share its screen');

    this.#banners = h('div', { class: 'stack', style: 'gap:8px' });
    this.#waiting = h('div', { class: 'waiting', hidden: true, role: 'status' });
    const stage = h(
      'section',
      { class: 'stage', 'aria-label': 'Stage' },
      this.#banners,
      h('div', { style: 'position:relative;flex:1;min-height:0;display:flex' }, this.#grid.el, this.#waiting),
      this.#grid.pager,
    );
    this.#grid.el.style.flex = '1';
    const bar = controlBar(
      'Call controls',
      [this.#buttons.mic, this.#buttons.cam, this.#buttons.screen, this.#buttons.devices],
      [this.#buttons.chat, this.#buttons.stats, this.#buttons.help],
      [this.#buttons.leave],
    );
    this.#layout = h('main', { class: 'call', id: 'main' }, stage, this.#side, bar);
    replaceChildren(root, opts.header, this.#layout);
    // Open the chat on wide screens, without taking the focus: shortcuts must work at once.
    this.showSide(window.matchMedia('(min-width: 1100px)').matches ? 'chat' : null, { focus: false });

    this.#disposer.add(listen(document, 'keydown', (e) => this.#onKey(e)));
    // Going narrow (a phone turned, a window shrunk): the side panel would cover the stage.
    const narrow = this.#narrow;
    const onNarrow = () => {
      if (narrow.matches && this.#sideTab !== null) this.showSide(null, { focus: false });
      this.#views?.setStageCovered(narrow.matches && this.#sideTab !== null);
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
  showSide(tab: 'chat' | 'conn' | null, { focus = true }: { focus?: boolean } = {}): void {
    this.#sideTab = tab;
    this.#layout.classList.toggle('with-side', tab !== null);
    for (const key of ['chat', 'conn'] as const) {
      const selected = tab === key;
      this.#tabs[key].setAttribute('aria-selected', String(selected));
      this.#tabs[key].tabIndex = selected ? 0 : -1;
      this.#panels[key].hidden = !selected;
    }
    this.#buttons.chat.setPressed(tab === 'chat');
    this.#buttons.stats.setPressed(tab === 'conn');
    this.#chat.setVisible(tab === 'chat');
    if (focus && tab === 'chat' && window.matchMedia('(min-width: 861px)').matches) this.#chat.focus();
    // On narrow screens the panel opens over the stage: nobody sees the videos meanwhile.
    this.#views?.setStageCovered(this.#narrow.matches && tab !== null);
    requestAnimationFrame(() => this.#grid.layout());
  }

  // ---- overlays and banners ---------------------------------------------------------------

  /** Shows (or hides, with null) the overlay over the stage: calling…, waiting for others… */
  setWaiting(content: WaitingContent | null): void {
    if (!content) {
      this.#waiting.hidden = true;
      replaceChildren(this.#waiting);
      return;
    }
    replaceChildren(
      this.#waiting,
      content.name
        ? h('div', { class: 'pulse', style: 'border-radius:50%' }, avatar(content.name, 'large'))
        : null,
      h('h2', null, content.title),
      content.detail ? h('p', null, content.detail) : null,
      content.actions?.length
        ? h('div', { class: 'input-row', style: 'justify-content:center' }, content.actions)
        : null,
    );
    this.#waiting.hidden = false;
  }

  /** Shows a banner above the stage; the same `id` replaces it. */
  showBanner(id: string, text: string, tone: 'warn' | 'bad' | 'info' = 'warn', actions: Node[] = []): void {
    this.clearBanner(id);
    this.#banners.append(
      h(
        'div',
        {
          class: `banner ${tone === 'warn' ? '' : tone}`.trim(),
          'data-banner': id,
          role: tone === 'bad' ? 'alert' : 'status',
        },
        icon(tone === 'info' ? 'info' : 'alert'),
        h('span', { class: 'banner-text' }, text),
        actions,
      ),
    );
  }

  /** Removes a banner. */
  clearBanner(id: string): void {
    this.#banners.querySelector(`[data-banner="${id}"]`)?.remove();
  }

  /** Adds a line to the chat (joins, leaves). */
  systemMessage(text: string): void {
    this.#chat.addSystem(text);
  }

  // ---- local media -------------------------------------------------------------------------

  /** Uses this local media (the call's or room's). */
  setMedia(media: LocalMedia): void {
    for (const off of this.#mediaOffs) off();
    this.#media = media;
    this.#mediaOffs = [
      media.on('change', () => this.#renderLocal()),
      media.on('screen', () => this.#renderLocal()),
      media.on('track-replaced', () => this.#renderLocal()),
    ];
    this.#renderLocal();
    if (media.receiveOnly) {
      this.showBanner(
        'receive-only',
        'You joined without camera and microphone: you see and hear the others, and can chat. Use the microphone or camera button to try again.',
        'info',
      );
    }
  }

  #renderLocal(): void {
    const media = this.#media;
    const stream = media?.stream ?? null;
    const hasAudio = (stream?.getAudioTracks().length ?? 0) > 0;
    const hasVideo = (stream?.getVideoTracks().length ?? 0) > 0;
    const audioOff = !media || !hasAudio || media.isMuted('audio');
    const videoOff = !media || !hasVideo || media.isMuted('video');
    this.#selfTile.setStream(stream);
    this.#selfTile.setVideoOff(videoOff);
    this.#selfTile.setAudioMuted(audioOff);
    this.#buttons.mic.setPressed(audioOff);
    this.#buttons.cam.setPressed(videoOff);
    this.#buttons.mic.setTip(
      hasAudio ? (audioOff ? 'Unmute (M)' : 'Mute (M)') : 'No microphone: click to retry',
    );
    this.#buttons.cam.setTip(
      hasVideo ? (videoOff ? 'Start camera (V)' : 'Stop camera (V)') : 'No camera: click to retry',
    );
    if (hasAudio || hasVideo) this.clearBanner('receive-only');
    if (stream !== this.#selfMeterStream) {
      this.#selfMeter?.close();
      this.#selfMeterStream = stream;
      this.#selfMeter = stream ? createLevelMeter(stream) : null;
    }
    const screen = media?.screen ?? null;
    this.#buttons.screen.setPressed(screen !== null);
    if (screen && !this.#selfScreenTile) {
      this.#selfScreenTile = new VideoTile(this.#opts.selfName, {
        self: true,
        screen: true,
        label: 'Your screen',
      });
      this.#selfScreenTile.setVideoOff(false);
      this.#selfScreenTile.setAudioMuted(true);
      this.#grid.add(this.#selfScreenTile);
    }
    if (this.#selfScreenTile) {
      if (screen) this.#selfScreenTile.setStream(screen);
      else {
        this.#grid.remove(this.#selfScreenTile);
        this.#selfScreenTile = null;
      }
    }
  }

  /** Mutes or unmutes the microphone (or tries to open one if there is none). */
  async toggleAudio(): Promise<void> {
    const media = this.#media;
    if (!media) return;
    if ((media.stream?.getAudioTracks().length ?? 0) === 0) return this.#retryDevice('audio');
    const muted = !media.isMuted('audio');
    media.setMuted('audio', muted);
    announce(muted ? 'Microphone muted' : 'Microphone on');
  }

  /** Turns the camera off or on (or tries to open one if there is none). */
  async toggleVideo(): Promise<void> {
    const media = this.#media;
    if (!media) return;
    if ((media.stream?.getVideoTracks().length ?? 0) === 0) return this.#retryDevice('video');
    const off = !media.isMuted('video');
    if (off) {
      media.setMuted('video', true);
      // Release the camera too, so its light goes off; it is opened again when turned back on.
      for (const track of media.stream?.getVideoTracks() ?? []) track.stop();
      this.#renderLocal();
      announce('Camera off');
      return;
    }
    const current = media.stream?.getVideoTracks()[0];
    if (current && current.readyState === 'ended') {
      try {
        const reopened = await openUserMedia({ audio: false, video: true, cameraId: readPref('camera') });
        const track = reopened.getVideoTracks()[0];
        if (track) await media.replaceTrack(track);
      } catch (err) {
        const text = describeMediaProblem(err instanceof MediaAccessError ? err.problem : 'other');
        toast(`${text.title}. ${text.advice}`, 'error', 9000);
        return;
      }
    }
    media.setMuted('video', false);
    announce('Camera on');
  }

  async #retryDevice(kind: 'audio' | 'video'): Promise<void> {
    const media = this.#media;
    if (!media) return;
    try {
      const stream = await openUserMedia({
        audio: kind === 'audio',
        video: kind === 'video',
        cameraId: readPref('camera'),
        microphoneId: readPref('microphone'),
      });
      const track = stream.getTracks()[0];
      if (track) await media.replaceTrack(track);
      toast(kind === 'audio' ? 'Microphone on.' : 'Camera on.', 'success');
    } catch (err) {
      const text = describeMediaProblem(err instanceof MediaAccessError ? err.problem : 'other');
      toast(`${text.title}. ${text.advice}`, 'error', 9000);
    }
  }

  /** Starts or stops sharing the screen. */
  async toggleScreen(): Promise<void> {
    const media = this.#media;
    if (!media) return;
    if (media.screen) {
      await media.stopScreenShare();
      announce('Screen sharing stopped');
      return;
    }
    try {
      const screen = await openScreen();
      if (!screen) return;
      await media.shareScreen(screen);
      announce('You are sharing your screen');
    } catch {
      toast('Could not share the screen. Your browser or system may not allow it.', 'error');
    }
  }

  /** Opens the device dialog. */
  async openDevices(): Promise<void> {
    const media = this.#media;
    const settings = (kind: 'audio' | 'video') =>
      (kind === 'audio'
        ? media?.stream?.getAudioTracks()[0]
        : media?.stream?.getVideoTracks()[0]
      )?.getSettings().deviceId ?? null;
    await openDeviceDialog(
      { camera: settings('video'), microphone: settings('audio'), speaker: this.#speaker },
      (kind, id) => void this.#switchDevice(kind, id),
    );
  }

  async #switchDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    writePref(kind, deviceId);
    if (kind === 'speaker') {
      this.#speaker = deviceId;
      await Promise.all(this.#grid.tiles.filter((t) => !t.self).map((t) => t.setSpeaker(deviceId)));
      announce('Speaker changed');
      return;
    }
    const media = this.#media;
    if (!media) return;
    if (kind === 'camera' && media.isMuted('video')) {
      // The camera is off (released): it opens on the chosen device when turned back on.
      announce('Camera changed');
      return;
    }
    try {
      await media.switchDevice(kind === 'camera' ? 'video' : 'audio', deviceId);
      announce(kind === 'camera' ? 'Camera changed' : 'Microphone changed');
    } catch {
      toast(`Could not switch the ${kind}. It may be in use by another app.`, 'error');
    }
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
    const tile = new VideoTile(name);
    tile.setBadge('Connecting…', 'warn');
    if (this.#speaker) void tile.setSpeaker(this.#speaker);
    this.#grid.add(tile);
    const entry: PeerEntry = {
      link,
      tile,
      mainStream: null,
      screens: new Map(),
      meter: null,
      meterStream: null,
      offs: [],
      failedShown: false,
    };
    this.#peers.set(name, entry);
    this.#views?.watch(name, tile.el);
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
          this.#chat.addMessage(name, msg.text, false, new Date(msg.ts));
          if (this.#sideTab !== 'chat') chime(true);
        }),
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
    this.#views?.unwatch(name);
    for (const off of entry.offs) off();
    entry.meter?.close();
    this.#grid.remove(entry.tile);
    for (const tile of entry.screens.values()) this.#grid.remove(tile);
    this.#conn.remove(name);
    this.#chat.setTyping(name, false);
    this.clearBanner(`unreachable-${name}`);
    if (message) {
      this.#chat.addSystem(message);
      announce(message);
    }
  }

  #onPeerState(entry: PeerEntry, state: PeerSession['state'], reason?: string): void {
    const name = entry.link.name;
    switch (state) {
      case 'connecting':
        entry.tile.setBadge('Connecting…', 'warn');
        break;
      case 'connected':
        entry.tile.setBadge(null);
        this.clearBanner(`unreachable-${name}`);
        if (entry.failedShown) toast(`Connected to ${name} again.`, 'success');
        entry.failedShown = false;
        break;
      case 'reconnecting':
        entry.tile.setBadge('Reconnecting…', 'warn', 'refresh');
        this.#conn.setState(
          name,
          'Reconnecting…',
          'warn',
          'The network path was lost; looking for another one.',
        );
        break;
      case 'failed':
        entry.tile.setBadge('Unreachable', 'bad', 'alert');
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
    // A peer's first stream is its camera and microphone; a later video stream is a screen share.
    // A peer without camera and microphone that shares its screen sends only the screen.
    // Through the SFU, a member received afresh (e.g. when their screen share starts) comes back
    // on new streams: a main stream left without tracks gives way to the next one, as the first.
    const announced = entry.link.peer.remoteMediaState;
    const screenOnly = announced?.screen === true && !announced.audio && !announced.video;
    const vacant = entry.mainStream !== null && entry.mainStream.getTracks().length === 0;
    if ((!entry.mainStream || vacant) && !screenOnly && !entry.screens.has(stream.id))
      entry.mainStream = stream;
    if (stream === entry.mainStream) {
      entry.tile.setStream(stream);
      if (track.kind === 'audio' && entry.meterStream !== stream) {
        entry.meter?.close();
        entry.meterStream = stream;
        entry.meter = createLevelMeter(stream);
      }
      return;
    }
    if (track.kind !== 'video') return;
    let tile = entry.screens.get(stream.id);
    if (!tile) {
      tile = new VideoTile(entry.link.name, { screen: true, label: `${entry.link.name}’s screen` });
      tile.setVideoOff(false);
      tile.setAudioMuted(true);
      entry.screens.set(stream.id, tile);
      this.#grid.add(tile);
      announce(`${entry.link.name} is sharing their screen`);
    }
    tile.setStream(stream);
  }

  #onTrackRemoved(entry: PeerEntry, stream: MediaStream): void {
    const tile = entry.screens.get(stream.id);
    if (tile && stream.getVideoTracks().length === 0) {
      entry.screens.delete(stream.id);
      this.#grid.remove(tile);
      announce(`${entry.link.name} stopped sharing their screen`);
    } else if (stream === entry.mainStream) {
      entry.tile.setStream(stream);
    }
  }

  #onMediaState(entry: PeerEntry, state: RemoteMediaState): void {
    entry.tile.setAudioMuted(!state.audio);
    entry.tile.setVideoOff(!state.video);
    this.#views?.setCameraOff(entry.link.name, !state.video);
    if (!state.screen && entry.screens.size > 0) {
      for (const tile of entry.screens.values()) this.#grid.remove(tile);
      entry.screens.clear();
    }
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
    this.#grid.setActiveSpeaker(name);
  }

  /** The room's media mode. `notice` says so above the stage and to screen readers. */
  setRoomMode(mode: RoomMode, notice: string | null): void {
    const previous = this.#mode;
    this.#mode = mode;
    this.#conn.setMode(mode);
    this.#layout.dataset.mode = mode;
    if (previous !== null && previous !== mode) {
      // Media now arrives on new connections: each member's next stream is their camera again.
      for (const entry of this.#peers.values()) {
        entry.mainStream = null;
        for (const tile of entry.screens.values()) this.#grid.remove(tile);
        entry.screens.clear();
      }
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
      for (const entry of this.#peers.values()) {
        for (const t of entry.mainStream?.getTracks() ?? []) names.set(t.id, entry.link.name);
        for (const tile of entry.screens.values())
          for (const t of tile.stream?.getTracks() ?? []) names.set(t.id, `${entry.link.name} (screen)`);
      }
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
    const own = this.#media && !this.#media.isMuted('audio') ? (this.#selfMeter?.read() ?? 0) : 0;
    this.#selfTile.setLevel(own);
    for (const entry of this.#peers.values()) entry.tile.setLevel(entry.meter?.read() ?? 0);
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
    let sent = 0;
    for (const chat of open) {
      try {
        chat.sendText(text);
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
        const card = new FileCard({ name: file.name, size: file.size, peer: entry.link.name }, 'out', {
          cancel: () => transfer.cancel(),
        });
        this.#trackTransfer(card, transfer);
        this.#chat.addFile(card, true, this.#opts.selfName);
      }
    }
    this.showSide('chat');
  }

  #onFileOffer(entry: PeerEntry, incoming: IncomingTransfer): void {
    const card = new FileCard({ name: incoming.name, size: incoming.size, peer: entry.link.name }, 'in', {
      accept: () => incoming.accept(),
      reject: () => incoming.reject(),
      cancel: () => incoming.cancel(),
    });
    this.#trackTransfer(card, incoming);
    void incoming.finished.then((result) => {
      if (result.state === 'completed' && incoming.blob) card.setBlob(incoming.blob, true);
    });
    this.#chat.addFile(card, false, entry.link.name);
    toast(`${entry.link.name} wants to send you “${incoming.name}”.`, 'info');
    if (this.#sideTab !== 'chat') chime(true);
  }

  #trackTransfer(card: FileCard, transfer: IncomingTransfer | OutgoingTransfer): void {
    transfer.on('progress', (p) => card.setProgress(p.bytes, p.total, p.rateBytesPerSec, p.etaMs));
    transfer.on('state', (state, error) => {
      const map: Record<TransferState, CardState> = {
        pending: card.direction === 'in' ? 'offered' : 'waiting',
        transferring: 'transferring',
        verifying: 'verifying',
        interrupted: 'interrupted',
        completed: 'completed',
        cancelled: 'cancelled',
        rejected: 'rejected',
        failed: 'failed',
      };
      const next = map[state];
      let detail: string | undefined;
      if (next === 'cancelled') detail = error?.remote ? 'Cancelled by the other side.' : 'Cancelled.';
      if (next === 'failed' && error) detail = `Failed: ${error.message}`;
      card.setState(next, detail);
      if (next === 'completed') announce(`${card.name} ${card.direction === 'in' ? 'received' : 'sent'}`);
    });
  }

  // ---- keyboard ------------------------------------------------------------------------------

  #onKey(e: KeyboardEvent): void {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const target = e.target as HTMLElement | null;
    const typing = target?.closest('input, textarea, select, [contenteditable="true"]');
    if (document.querySelector('dialog[open]')) return;
    if (e.key === 'Escape') {
      if (typing) {
        (target as HTMLElement).blur();
        return;
      }
      e.preventDefault();
      this.#opts.onLeave();
      return;
    }
    if (typing) return;
    switch (e.key.toLowerCase()) {
      case 'm':
        void this.toggleAudio();
        break;
      case 'v':
        void this.toggleVideo();
        break;
      case 's':
        void this.toggleScreen();
        break;
      case 'c':
        this.showSide(this.#sideTab === 'chat' ? null : 'chat');
        break;
      case 'i':
        this.showSide(this.#sideTab === 'conn' ? null : 'conn');
        break;
      case 'd':
        void this.openDevices();
        break;
      case 'h':
        this.#opts.onLeave();
        break;
      case '?':
        openHelpDialog();
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  /** Tears the screen down (peers, meters, listeners). The app stops media it owns itself. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const name of [...this.#peers.keys()]) this.removePeer(name, null);
    for (const off of this.#mediaOffs) off();
    this.#selfMeter?.close();
    clearInterval(this.#sfuTimer);
    clearTimeout(this.#modeNoticeTimer);
    this.#views?.close();
    this.#grid.destroy();
    this.#disposer.dispose();
  }
}
