/**
 * The home screen's direct-call card: a name field with its check, and the list of who is
 * online, each with a Call button.
 *
 * A screen part: may import app/, components/ and ui/.
 */
import { LIMITS } from '@parley/protocol';
import { nameProblem } from '../app/name-rules.ts';
import { avatar } from '../ui/common.ts';
import { h, replaceChildren } from '../ui/dom.ts';
import { icon } from '../ui/icons.ts';

/** The card and what the app updates on it. */
export interface CallCard {
  readonly el: HTMLElement;
  /** Replaces the online list (our own name is left out). */
  setOnline(names: readonly string[]): void;
  /** Says the online list is switched off on this server. */
  setPresenceUnavailable(): void;
}

/** The direct-call card for `self`; `onCall` calls the name typed or picked. */
export function callCard(self: string, onCall: (name: string) => void): CallCard {
  const callInput = h('input', {
    class: 'input',
    id: 'call-name',
    autocomplete: 'off',
    autocapitalize: 'none',
    spellcheck: false,
    maxLength: LIMITS.nameMaxChars,
    placeholder: 'Their name',
  });
  const callError = h('p', { class: 'field-error', role: 'alert' });
  const callForm = h(
    'form',
    {
      class: 'field',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const name = callInput.value.trim();
        const problem = name === self ? 'That is you. Type the name of someone else.' : nameProblem(name);
        callError.textContent = problem ?? '';
        callInput.setAttribute('aria-invalid', String(problem !== null));
        if (!problem) onCall(name);
      },
    },
    h('label', { for: 'call-name' }, 'Call someone by name'),
    h(
      'div',
      { class: 'input-row' },
      callInput,
      h('button', { class: 'button primary', type: 'submit' }, icon('phone'), 'Call'),
    ),
    callError,
  );
  const online = h('ul', { class: 'people', 'aria-label': 'People online' });
  const onlineCount = h('span', { class: 'chip ok' }, '0 online');
  const setOnline = (names: readonly string[]) => {
    const others = names.filter((n) => n !== self).sort((a, b) => a.localeCompare(b));
    onlineCount.textContent = `${others.length} online`;
    if (others.length === 0) {
      replaceChildren(
        online,
        h('li', { class: 'empty' }, 'Nobody else is online yet. Share a room link to invite someone.'),
      );
      return;
    }
    replaceChildren(
      online,
      others.map((n) =>
        h(
          'li',
          { class: 'person', 'data-name': n },
          (() => {
            const a = avatar(n);
            a.append(h('span', { class: 'presence-dot' }));
            return a;
          })(),
          h('span', { class: 'person-name' }, n),
          h(
            'button',
            {
              class: 'button ghost',
              type: 'button',
              'aria-label': `Call ${n}`,
              onclick: () => onCall(n),
            },
            icon('phone'),
            'Call',
          ),
        ),
      ),
    );
  };
  setOnline([]);

  const el = h(
    'section',
    { class: 'card', 'aria-labelledby': 'call-h' },
    h('div', { class: 'card-header' }, h('h2', { id: 'call-h' }, 'Direct call'), onlineCount),
    callForm,
    online,
  );
  return {
    el,
    setOnline,
    setPresenceUnavailable() {
      onlineCount.textContent = 'list off';
      replaceChildren(
        online,
        h('li', { class: 'empty' }, 'This server does not publish who is online. Type a name to call.'),
      );
    },
  };
}
