/**
 * The connection panel: one card per peer with how media travels (direct, via STUN, via a TURN
 * relay), round-trip time, loss, bitrate both ways, the received resolution and frame rate, and
 * a live plot of bitrate and RTT over the last minute.
 *
 * In a room, a first card says how the room's media flows: peer to peer (mesh), or through the
 * server's SFU. In SFU mode that card carries the figures (from the SFU publisher and subscriber
 * connections: bitrate both ways, the simulcast layers we send, the layer received from each
 * person) and the per-person cards are hidden: those connections then carry only chat and files.
 */
import type { RoomMode } from '@parley/protocol';
import { type ConnectionSample, describeRoute } from '../media/connection-stats.ts';
import { layerName, type SfuSample } from '../media/sfu-stats.ts';
import { avatar, chip, setChip } from '../ui/common.ts';
import { h, replaceChildren } from '../ui/dom.ts';
import { formatBitrate, formatMs, formatPercent } from '../ui/format.ts';
import { LivePlot } from './plot.ts';

interface Card {
  el: HTMLElement;
  route: HTMLElement;
  note: HTMLElement;
  values: Record<string, HTMLElement>;
  plot: LivePlot;
}

const METRICS = [
  ['rtt', 'Round trip'],
  ['loss', 'Loss'],
  ['in', 'Receiving'],
  ['out', 'Sending'],
  ['video', 'Video in'],
  ['fps', 'Frame rate'],
  ['jitter', 'Jitter'],
  ['path', 'Path'],
] as const;

const SFU_METRICS = [
  ['out', 'Sending'],
  ['in', 'Receiving'],
  ['rtt', 'Round trip'],
  ['path', 'Path'],
] as const;

interface RoomCard {
  el: HTMLElement;
  mode: HTMLElement;
  note: HTMLElement;
  details: HTMLElement;
  values: Record<string, HTMLElement>;
  layers: HTMLElement;
  received: HTMLElement;
  plot: LivePlot;
}

/** The list of per-peer connection cards. */
export class ConnectionPanel {
  readonly el: HTMLElement;
  readonly #cards = new Map<string, Card>();
  readonly #empty: HTMLElement;
  #room: RoomCard | null = null;

  constructor() {
    this.#empty = h('p', { class: 'chat-empty' }, 'Connection details appear here once someone joins.');
    this.el = h('div', { class: 'conn-list' }, this.#empty);
  }

  /** The room's media mode (rooms only): shown first; `sfu` hides the per-person cards. */
  setMode(mode: RoomMode): void {
    const card = this.#roomCard();
    this.el.classList.toggle('sfu', mode === 'sfu');
    if (mode === 'sfu') {
      setChip(card.mode, 'Through the server (SFU)', 'ok');
      card.note.textContent =
        'A large room: you send your video once to the server, which forwards it to everyone, and you receive everyone through one connection. Chat and files still go straight between you.';
    } else {
      setChip(card.mode, 'Peer to peer', 'ok');
      card.note.textContent =
        'Media goes straight between you and each person; the cards below show each connection.';
    }
    card.details.hidden = mode !== 'sfu';
  }

  /**
   * Updates the room card with a sample of the SFU connections; `nameOf` names a received track,
   * `layerOf` says which layer of a person's camera the SDK asked the SFU for.
   */
  updateSfu(
    s: SfuSample,
    nameOf: (trackId: string) => string | undefined,
    layerOf: (name: string) => { substream: number; paused: boolean } | undefined = () => undefined,
  ): void {
    const card = this.#roomCard();
    card.values.out!.textContent = formatBitrate(s.outBps);
    card.values.in!.textContent = formatBitrate(s.inBps);
    card.values.rtt!.textContent = formatMs(s.rttMs);
    card.values.path!.textContent = describeRoute(s.route).label;
    const active = s.layers.filter((l) => l.active);
    replaceChildren(
      card.layers,
      s.layers.length === 0
        ? h('li', { class: 'muted' }, 'Not sending video')
        : s.layers.map((l) =>
            h(
              'li',
              { class: l.active ? '' : 'muted' },
              h('span', null, l.width && l.height ? `${l.width}×${l.height}` : 'starting'),
              h(
                'span',
                { class: 'muted' },
                l.active ? (l.fps !== undefined ? `${Math.round(l.fps)} fps` : '') : 'paused',
              ),
            ),
          ),
    );
    card.layers.setAttribute(
      'aria-label',
      `Video layers sent: ${active.length} of ${s.layers.length} active`,
    );
    const rows = s.received
      .map((v) => ({ v, name: nameOf(v.trackId) }))
      .filter((r): r is { v: (typeof s.received)[number]; name: string } => r.name !== undefined)
      .sort((a, b) => a.name.localeCompare(b.name));
    replaceChildren(
      card.received,
      rows.length === 0
        ? h('li', { class: 'muted' }, 'No video received yet')
        : rows.map(({ v, name }) => {
            const layer = layerOf(name);
            const parts: string[] = [];
            if (layer?.paused) parts.push('paused (not on screen)');
            else {
              if (v.width && v.height) parts.push(`${v.width}×${v.height}`);
              if (v.fps !== undefined) parts.push(`${Math.round(v.fps)} fps`);
              if (layer) parts.push(`${layerName(layer.substream)} layer`);
            }
            return h(
              'li',
              { 'data-peer': name },
              h('span', { class: 'person-name' }, name),
              h('span', { class: 'muted' }, parts.join(' · ') || 'starting'),
            );
          }),
    );
    card.plot.push([s.inBps, s.rttMs]);
  }

  #roomCard(): RoomCard {
    if (this.#room) return this.#room;
    const mode = chip('Connecting…', 'warn');
    const note = h('p', { class: 'route-note' });
    const values: Record<string, HTMLElement> = {};
    const metrics = h(
      'dl',
      { class: 'metrics' },
      SFU_METRICS.map(([key, label]) => {
        values[key] = h('dd', { 'data-metric': key }, '—');
        return h('div', { class: 'metric' }, h('dt', null, label), values[key]);
      }),
    );
    const layers = h('ul', { class: 'sfu-list', 'aria-label': 'Video layers sent' });
    const received = h('ul', { class: 'sfu-list', 'aria-label': 'Video received' });
    const plot = new LivePlot([
      { label: 'Bitrate in', color: '#5b8def', format: (v) => formatBitrate(v) },
      { label: 'RTT', color: '#e8b04f', format: (v) => formatMs(v) },
    ]);
    const details = h(
      'div',
      { class: 'stack', style: 'gap:10px', hidden: true },
      metrics,
      h('div', { class: 'sfu-block' }, h('span', { class: 'label' }, 'Your video, as sent'), layers),
      h('div', { class: 'sfu-block' }, h('span', { class: 'label' }, 'Video received'), received),
      plot.el,
    );
    const el = h(
      'section',
      { class: 'conn-card room-media', 'aria-label': 'Room media' },
      h('div', { class: 'conn-head' }, h('span', { class: 'person-name' }, 'Room media'), mode),
      note,
      details,
    );
    this.#room = { el, mode, note, details, values, layers, received, plot };
    this.el.prepend(el);
    return this.#room;
  }

  #card(peer: string): Card {
    let card = this.#cards.get(peer);
    if (card) return card;
    const route = chip('Connecting…', 'warn');
    const note = h('p', { class: 'route-note' }, describeRoute(null).note);
    const values: Record<string, HTMLElement> = {};
    const metrics = h(
      'dl',
      { class: 'metrics' },
      METRICS.map(([key, label]) => {
        values[key] = h('dd', { 'data-metric': key }, '—');
        return h('div', { class: 'metric' }, h('dt', null, label), values[key]);
      }),
    );
    const plot = new LivePlot([
      { label: 'Bitrate in', color: '#5b8def', format: (v) => formatBitrate(v) },
      { label: 'RTT', color: '#e8b04f', format: (v) => formatMs(v) },
    ]);
    const el = h(
      'section',
      { class: 'conn-card', 'aria-label': `Connection to ${peer}`, 'data-peer': peer },
      h('div', { class: 'conn-head' }, avatar(peer), h('span', { class: 'person-name' }, peer), route),
      note,
      metrics,
      plot.el,
    );
    card = { el, route, note, values, plot };
    this.#cards.set(peer, card);
    this.#empty.remove();
    this.el.append(el);
    return card;
  }

  /** Updates a peer's card with a new sample. */
  update(peer: string, s: ConnectionSample): void {
    const card = this.#card(peer);
    const route = describeRoute(s.route);
    setChip(card.route, route.label, s.route === null ? 'warn' : s.route === 'relay' ? '' : 'ok');
    card.note.textContent =
      s.protocol && s.route ? `${route.note} Over ${s.protocol.toUpperCase()}.` : route.note;
    card.values.rtt!.textContent = formatMs(s.rttMs);
    card.values.loss!.textContent = formatPercent(s.loss);
    card.values.jitter!.textContent = formatMs(s.jitterMs);
    card.values.in!.textContent = formatBitrate(s.inBps);
    card.values.out!.textContent = formatBitrate(s.outBps);
    card.values.video!.textContent = s.width && s.height ? `${s.width}×${s.height}` : '—';
    card.values.fps!.textContent = s.fps !== undefined ? `${Math.round(s.fps)} fps` : '—';
    // Candidate types of the pair in use (the protocol is in the note above).
    card.values.path!.textContent = s.route ? `${s.localType ?? '?'} → ${s.remoteType ?? '?'}` : '—';
    card.plot.push([s.inBps, s.rttMs]);
  }

  /** Shows a peer's state in its card (e.g. failed: needs TURN). */
  setState(peer: string, text: string, tone: 'ok' | 'warn' | 'bad', note?: string): void {
    const card = this.#card(peer);
    setChip(card.route, text, tone);
    if (note) card.note.textContent = note;
  }

  /** Removes a peer's card. */
  remove(peer: string): void {
    this.#cards.get(peer)?.el.remove();
    this.#cards.delete(peer);
    if (this.#cards.size === 0) replaceChildren(this.el, this.#room?.el, this.#empty);
  }
}
