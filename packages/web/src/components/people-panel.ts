/**
 * The participant list of a call or room, in the side panel's "People" tab: each person with
 * their avatar, name, when they joined and whether they are speaking. A labelled list; joins and
 * leaves are announced by the call screen (politely), speaking is shown, not announced (it would
 * drown everything else out).
 *
 * A component: may import app/ (the roster's types) and ui/.
 */
import type { RosterMember } from '../app/roster.ts';
import { avatar } from '../ui/common.ts';
import { h, replaceChildren } from '../ui/dom.ts';
import { formatClock } from '../ui/format.ts';

/** The people panel. */
export class PeoplePanel {
  readonly el: HTMLElement;
  readonly #heading: HTMLElement;
  readonly #list: HTMLElement;

  constructor() {
    this.#heading = h('h2', { class: 'people-heading', id: 'people-heading' }, 'People');
    this.#list = h('ul', { class: 'people-list', 'aria-labelledby': 'people-heading' });
    this.el = h('div', { class: 'people' }, this.#heading, this.#list);
  }

  /** Shows these members (ourselves first). */
  render(members: readonly RosterMember[]): void {
    this.#heading.textContent = `People (${members.length})`;
    replaceChildren(
      this.#list,
      members.map((m) => {
        const joined = `joined ${formatClock(new Date(m.joinedAt))}`;
        const label = `${m.self ? `${m.name} (you)` : m.name}, ${joined}${m.speaking ? ', speaking' : ''}`;
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
        );
      }),
    );
  }
}
