/**
 * A room's moderation in the People tab (docs/WEB.md, "Hosts and moderation"): for everyone a
 * "Raise hand" toggle and each person's role, raised hand (with its place in the queue) and
 * mute; for hosts the room's door (lock, lobby), "Mute everyone", "End room for all", the lobby
 * with Admit / Refuse for each knocker, and per person Mute, Ask to unmute, Stop share, Make
 * host and Remove. Every control is a real button with a label naming its person; toggles say
 * their state with `aria-pressed`.
 *
 * A component: draws what the SDK's `room.moderation` says and calls its actions; a refusal is
 * handed to `onError` (the controller toasts it). May import the SDK's types and ui/.
 */
import type { RoomModeration } from '@parley/client';
import { h, replaceChildren } from '../ui/dom.ts';
import type { PeopleExtras } from './people-panel.ts';

/** Ordinal words for the hand queue. */
function place(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10];
  return `${n}${suffix ?? 'th'}`;
}

/** The moderation parts of the People tab. */
export class ModerationView implements PeopleExtras {
  readonly top: HTMLElement;
  readonly #m: RoomModeration;
  readonly #self: string;
  readonly #onError: (err: unknown) => void;
  readonly #hostBar: HTMLElement;
  readonly #lobby: HTMLElement;
  readonly #hand: HTMLButtonElement;
  readonly #lock: HTMLButtonElement;
  readonly #lobbyToggle: HTMLButtonElement;

  constructor(m: RoomModeration, self: string, onError: (err: unknown) => void) {
    this.#m = m;
    this.#self = self;
    this.#onError = onError;
    this.#hand = this.#button('Raise hand', 'raise-hand', () =>
      this.#do(() => m.raiseHand(m.participant(self)?.hand === undefined)),
    );
    this.#lock = this.#button('Lock room', 'lock-room', () => this.#do(() => m.lock(!m.locked)));
    this.#lobbyToggle = this.#button('Lobby', 'lobby-toggle', () => this.#do(() => m.setLobby(!m.lobby)));
    this.#hostBar = h(
      'div',
      { class: 'host-controls', role: 'group', 'aria-label': 'Host controls', hidden: true },
      this.#lock,
      this.#lobbyToggle,
      this.#button('Mute everyone', 'mute-all', () => this.#do(() => m.muteAll())),
      this.#button('End room for all', 'end-room', () => this.#do(() => m.end()), 'danger'),
    );
    this.#lobby = h('section', {
      class: 'lobby-panel',
      'aria-labelledby': 'lobby-heading',
      hidden: true,
    });
    this.top = h('div', { class: 'moderation' }, this.#hand, this.#hostBar, this.#lobby);
  }

  /** Draws the door, the host bar and the lobby again (the rows are drawn by the panel). */
  update(): void {
    const m = this.#m;
    const raised = m.participant(this.#self)?.hand !== undefined;
    this.#hand.setAttribute('aria-pressed', String(raised));
    this.#hand.textContent = raised ? 'Lower hand' : 'Raise hand';
    this.#hostBar.hidden = !m.isHost;
    this.#lock.setAttribute('aria-pressed', String(m.locked));
    this.#lock.textContent = m.locked ? 'Unlock room' : 'Lock room';
    this.#lobbyToggle.setAttribute('aria-pressed', String(m.lobby));
    this.#lobbyToggle.textContent = m.lobby ? 'Lobby on' : 'Lobby off';
    const waiting = m.isHost ? m.waiting : [];
    this.#lobby.hidden = waiting.length === 0;
    replaceChildren(this.#lobby, [
      h('h3', { id: 'lobby-heading' }, `Waiting to join (${waiting.length})`),
      h(
        'ul',
        { class: 'lobby-list' },
        ...waiting.map((name) =>
          h(
            'li',
            { class: 'lobby-person', 'data-name': name },
            h('span', { class: 'person-name' }, name),
            this.#button('Admit', 'admit', () => this.#do(() => m.admit(name)), 'primary', `Admit ${name}`),
            this.#button('Refuse', 'refuse', () => this.#do(() => m.refuse(name)), '', `Refuse ${name}`),
          ),
        ),
      ),
    ]);
  }

  /** `name`'s role, hand and mute, and a host's actions on it. */
  row(name: string): { nodes: Node[]; words: string } {
    const m = this.#m;
    const p = m.participant(name);
    if (!p) return { nodes: [], words: '' };
    const nodes: Node[] = [];
    const words: string[] = [];
    if (p.role !== 'member') {
      const role = p.role === 'host' ? 'Host' : 'Viewer';
      nodes.push(h('span', { class: `chip plain role-chip role-${p.role}` }, role));
      words.push(role.toLowerCase());
    }
    const queue = m.hands;
    const at = queue.indexOf(name);
    if (at >= 0) {
      nodes.push(h('span', { class: 'chip warn hand-chip', title: 'Hand raised' }, `Hand ${at + 1}`));
      words.push(`hand raised, ${place(at + 1)} in line`);
    }
    if (p.muted) {
      nodes.push(h('span', { class: 'chip plain muted-chip' }, p.mutedBy ? 'muted by host' : 'muted'));
      words.push(p.mutedBy ? `muted by ${p.mutedBy}` : 'muted');
    }
    if (m.isHost && name !== this.#self) {
      const actions = h('span', {
        class: 'person-actions',
        role: 'group',
        'aria-label': `Actions for ${name}`,
      });
      const add = (text: string, key: string, fn: () => Promise<unknown>, tone = '') =>
        actions.append(this.#button(text, key, () => this.#do(fn), tone, `${text} ${name}`));
      if (p.muted) add('Ask to unmute', 'ask-unmute', () => m.askToUnmute(name));
      else add('Mute', 'mute', () => m.mute(name));
      if (p.sharing) add('Stop share of', 'stop-share', () => m.stopShare(name));
      if (p.role !== 'host') add('Make host', 'make-host', () => m.setRole(name, 'host'));
      add('Remove', 'remove', () => m.remove(name), 'danger');
      nodes.push(actions);
    }
    return { nodes, words: words.length > 0 ? `, ${words.join(', ')}` : '' };
  }

  #do(fn: () => Promise<unknown>): void {
    fn().catch((err: unknown) => this.#onError(err));
  }

  #button(text: string, key: string, onclick: () => void, tone = '', label?: string): HTMLButtonElement {
    return h(
      'button',
      {
        class: `button small ${tone || 'ghost'}`,
        type: 'button',
        'data-action': key,
        ...(label ? { 'aria-label': label } : {}),
        onclick,
      },
      text,
    );
  }
}
