/**
 * The participant list of a call or room, in the side panel's "People" tab: each person with
 * their avatar, name, when they joined and whether they are speaking. A labelled list; joins and
 * leaves are announced by the call screen (politely), speaking is shown, not announced (it would
 * drown everything else out).
 *
 * In a room, the moderation view (moderation-view.ts) adds its controls above the list and each
 * person's role, hand, mute and host actions to their row ({@link PeoplePanel.setModeration}).
 *
 * A component: may import app/ (the roster's types) and ui/.
 */
import type { RosterMember } from '../app/roster.ts';
import { avatar } from '../ui/common.ts';
import { h, replaceChildren } from '../ui/dom.ts';
import { formatClock } from '../ui/format.ts';

/** What the moderation view adds to the panel. */
export interface PeopleExtras {
  /** Shown above the list (host controls, the lobby, raise hand). */
  readonly top: HTMLElement;
  /** Extra nodes for `name`'s row, and words for its label. */
  row(name: string): { nodes: Node[]; words: string };
}

/** The people panel. */
export class PeoplePanel {
  readonly el: HTMLElement;
  readonly #heading: HTMLElement;
  readonly #list: HTMLElement;
  #extras: PeopleExtras | null = null;
  #members: readonly RosterMember[] = [];

  constructor() {
    this.#heading = h('h2', { class: 'people-heading', id: 'people-heading' }, 'People');
    this.#list = h('ul', { class: 'people-list', 'aria-labelledby': 'people-heading' });
    this.el = h('div', { class: 'people' }, this.#heading, this.#list);
  }

  /** Adds a room's moderation to the panel. */
  setModeration(extras: PeopleExtras): void {
    this.#extras = extras;
    this.el.insertBefore(extras.top, this.#list);
    this.refresh();
  }

  /** Draws the last members again (roles, hands or mutes changed). */
  refresh(): void {
    this.render(this.#members);
  }

  /** Shows these members (ourselves first). */
  render(members: readonly RosterMember[]): void {
    this.#members = members;
    this.#heading.textContent = `People (${members.length})`;
    replaceChildren(
      this.#list,
      members.map((m) => {
        const joined = `joined ${formatClock(new Date(m.joinedAt))}`;
        const extra = this.#extras?.row(m.name);
        const label = `${m.self ? `${m.name} (you)` : m.name}${extra?.words ?? ''}, ${joined}${m.speaking ? ', speaking' : ''}`;
        return h(
          'li',
          {
            class: `person${m.speaking ? ' speaking' : ''}`,
            'data-name': m.name,
            'data-speaking': String(m.speaking),
            'aria-label': label,
          },
          avatar(m.name),
          h(
            'span',
            { class: 'person-text' },
            h('span', { class: 'person-name' }, m.self ? `${m.name} (you)` : m.name),
            h('span', { class: 'person-sub' }, joined),
          ),
          m.speaking ? h('span', { class: 'person-speaking' }, 'speaking') : null,
          ...(extra?.nodes ?? []),
        );
      }),
    );
  }
}
