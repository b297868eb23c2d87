/**
 * The home screen's direct-call card: a name field with its check, and the list of who is
 * online, each with a Call button. The server sends the first page of the directory (200 names)
 * and how many are online in all; when there are more than a glance holds, a search field asks the
 * server for the names starting with what is typed.
 *
 * A screen part: may import app/, components/ and ui/.
 */
import { LIMITS, NAME_PATTERN } from '@parley/protocol';
import { nameProblem } from '../app/name-rules.ts';
import { avatar } from '../ui/common.ts';
import { h, replaceChildren } from '../ui/dom.ts';
import { icon } from '../ui/icons.ts';

/** The card and what the app updates on it. */
export interface CallCard {
  readonly el: HTMLElement;
  /**
   * Replaces the online list (our own name is left out); `total` is how many names online match
   * the search in all, when the server says (the list may hold a page of them).
   */
  setOnline(names: readonly string[], total?: number): void;
  /** Says the online list is switched off on this server. */
  setPresenceUnavailable(): void;
}

/** Past this many people online, the card offers a search. */
const SEARCH_FROM = 12;

/**
 * The direct-call card for `self`; `onCall` calls the name typed or picked, `onSearch` asks for
 * the online names starting with a prefix ('' for everyone).
 */
export function callCard(
  self: string,
  onCall: (name: string, encrypted: boolean) => void,
  onSearch: (prefix: string) => void = () => {},
): CallCard {
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
  const encryptBox = h('input', { type: 'checkbox', id: 'call-e2ee', 'aria-describedby': 'call-e2ee-hint' });
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
        if (!problem) onCall(name, encryptBox.checked);
      },
    },
    h('label', { for: 'call-name' }, 'Call someone by name'),
    h(
      'div',
      { class: 'input-row' },
      callInput,
      h('button', { class: 'button primary', type: 'submit' }, icon('phone'), 'Call'),
    ),
    h(
      'div',
      { class: 'check-row' },
      encryptBox,
      h(
        'div',
        { class: 'stack', style: 'gap:2px' },
        h('label', { for: 'call-e2ee' }, 'Encrypted call (end to end)'),
        h(
          'p',
          { class: 'field-hint', id: 'call-e2ee-hint' },
          'Video and sound are encrypted so that only the two of you can see and hear them — not the server. Compare the safety code aloud once connected. The server still knows who called whom and for how long.',
        ),
      ),
    ),
    callError,
  );
  const online = h('ul', { class: 'people', 'aria-label': 'People online' });
  const onlineCount = h('span', { class: 'chip ok' }, '0 online');
  const search = h('input', {
    class: 'input',
    id: 'online-search',
    type: 'search',
    autocomplete: 'off',
    autocapitalize: 'none',
    spellcheck: false,
    maxLength: LIMITS.nameMaxChars,
    placeholder: 'Name starts with…',
    'aria-controls': 'online-list',
    oninput: () => {
      const prefix = search.value.trim();
      // Names hold letters, digits, `_ . -` only: anything else finds nobody, so ask for nothing.
      if (prefix === '' || NAME_PATTERN.test(prefix)) onSearch(prefix);
      else setOnline([], 0);
    },
  });
  const searchField = h(
    'div',
    { class: 'field online-search', hidden: true },
    h('label', { for: 'online-search' }, 'Find someone online'),
    search,
  );
  online.id = 'online-list';
  const setOnline = (names: readonly string[], total?: number) => {
    const others = names.filter((n) => n !== self).sort((a, b) => a.localeCompare(b));
    const prefix = search.value.trim();
    const everyone = total === undefined ? others.length : total - (self.startsWith(prefix) ? 1 : 0);
    const count = Math.max(others.length, everyone);
    onlineCount.textContent = prefix === '' ? `${count} online` : `${count} found`;
    searchField.hidden = prefix === '' && count <= SEARCH_FROM;
    if (others.length === 0) {
      replaceChildren(
        online,
        h(
          'li',
          { class: 'empty' },
          prefix === ''
            ? 'Nobody else is online yet. Share a room link to invite someone.'
            : `Nobody online has a name starting with “${prefix}”.`,
        ),
      );
      return;
    }
    const more = count - others.length;
    replaceChildren(
      online,
      ...others.map((n) =>
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
              onclick: () => onCall(n, encryptBox.checked),
            },
            icon('phone'),
            'Call',
          ),
        ),
      ),
      ...(more > 0
        ? [h('li', { class: 'empty' }, `and ${more} more: type the start of a name above to find them.`)]
        : []),
    );
  };
  setOnline([]);

  const el = h(
    'section',
    { class: 'card', 'aria-labelledby': 'call-h' },
    h('div', { class: 'card-header' }, h('h2', { id: 'call-h' }, 'Direct call'), onlineCount),
    callForm,
    searchField,
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
