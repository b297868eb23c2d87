/**
 * The connection panel: one card per peer with how media travels (direct, via STUN, via a TURN
 * relay), round-trip time, loss, bitrate both ways, the received resolution and frame rate, and
 * a live plot of bitrate and RTT over the last minute.
 */
import { formatBitrate, formatMs, formatPercent } from '../app/format.ts';
import { type ConnectionSample, describeRoute } from '../media/connection-stats.ts';
import { avatar, chip, setChip } from '../ui/common.ts';
import { h, replaceChildren } from '../ui/dom.ts';
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

/** The list of per-peer connection cards. */
export class ConnectionPanel {
  readonly el: HTMLElement;
  readonly #cards = new Map<string, Card>();
  readonly #empty: HTMLElement;

  constructor() {
    this.#empty = h('p', { class: 'chat-empty' }, 'Connection details appear here once someone joins.');
    this.el = h('div', { class: 'conn-list' }, this.#empty);
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
    if (this.#cards.size === 0) replaceChildren(this.el, this.#empty);
  }
}
