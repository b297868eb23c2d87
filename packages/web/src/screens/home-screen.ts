/**
 * The home screen once logged in: call someone by name (with the list of who is online), or
 * create / join a room and copy its link. The camera preview stays on the left so the person
 * sees how they look before anyone picks up.
 */
import { LIMITS } from '@parley/protocol';
import { serverHasSfu } from '../app/endpoints.ts';
import { recentRooms } from '../app/prefs.ts';
import { isRoomName, roomLink } from '../app/router.ts';
import type { SelfPreview } from '../components/self-preview.ts';
import { toast } from '../ui/announce.ts';
import { avatar } from '../ui/common.ts';
import { h, replaceChildren } from '../ui/dom.ts';
import { icon } from '../ui/icons.ts';
import { nameProblem } from './gate-screen.ts';

/** Options of {@link renderHome}. */
export interface HomeProps {
  name: string;
  preview: SelfPreview;
  /** The top bar (with the connection status), owned by the app. */
  header: HTMLElement;
  onCall(name: string): void;
  /**
   * Joins (or creates) a room; `password` protects a new room, or opens a protected one; `large`
   * creates a new room with its media through the server's SFU from the start.
   */
  onRoom(room: string, password: string | null, large: boolean): void;
}

/** What the app updates on the home screen. */
export interface HomeView {
  /** Replaces the online list (our own name is left out). */
  setOnline(names: readonly string[]): void;
  /** Says the online list is switched off on this server. */
  setPresenceUnavailable(): void;
}

const ADJECTIVES = ['calm', 'bright', 'quiet', 'brave', 'swift', 'clear', 'warm', 'bold', 'kind', 'keen'];
const NOUNS = [
  'river',
  'harbor',
  'meadow',
  'summit',
  'forest',
  'lagoon',
  'canyon',
  'orchard',
  'island',
  'valley',
];

/** A readable, hard-to-guess room name such as `calm-river-4821`. */
export function randomRoomName(): string {
  const pick = (list: string[]) => list[crypto.getRandomValues(new Uint32Array(1))[0]! % list.length]!;
  const digits = String(crypto.getRandomValues(new Uint32Array(1))[0]! % 10000).padStart(4, '0');
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${digits}`;
}

/** Copies text to the clipboard, falling back to a selection when the API is unavailable. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h('textarea', { value: text, style: 'position:fixed;opacity:0' });
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

/** Renders the home screen into `root`. */
export function renderHome(root: HTMLElement, props: HomeProps): HomeView {
  // ---- call by name
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
        const problem =
          name === props.name ? 'That is you. Type the name of someone else.' : nameProblem(name);
        callError.textContent = problem ?? '';
        callInput.setAttribute('aria-invalid', String(problem !== null));
        if (!problem) props.onCall(name);
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
    const others = names.filter((n) => n !== props.name).sort((a, b) => a.localeCompare(b));
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
              onclick: () => props.onCall(n),
            },
            icon('phone'),
            'Call',
          ),
        ),
      ),
    );
  };
  setOnline([]);

  // ---- rooms
  const roomInput = h('input', {
    class: 'input',
    id: 'room-name',
    autocomplete: 'off',
    autocapitalize: 'none',
    spellcheck: false,
    maxLength: LIMITS.roomMaxChars,
    value: randomRoomName(),
    'aria-describedby': 'room-link',
  });
  const roomError = h('p', { class: 'field-error', role: 'alert' });
  const passwordInput = h('input', {
    class: 'input',
    id: 'room-password-new',
    type: 'password',
    autocomplete: 'new-password',
    maxLength: LIMITS.passwordMaxChars,
    'aria-describedby': 'room-password-hint',
  });
  const passwordError = h('p', { class: 'field-error', role: 'alert' });
  const largeInput = h('input', {
    type: 'checkbox',
    id: 'room-large',
    'aria-describedby': 'room-large-hint',
    onchange: () => updateLink(),
  });
  // Shown once the server says it has an SFU: without one a large room would be a mesh anyway.
  const largeOption = h(
    'div',
    { class: 'check-row', hidden: true },
    largeInput,
    h(
      'div',
      { class: 'stack', style: 'gap:2px' },
      h('label', { for: 'room-large' }, 'Large room'),
      h(
        'p',
        { class: 'field-hint', id: 'room-large-hint' },
        'For bigger meetings: video goes through the server from the start, so everyone sends it only once. Other rooms switch by themselves as they grow.',
      ),
    ),
  );
  void serverHasSfu().then((has) => {
    largeOption.hidden = !has;
  });
  const linkText = h('code', { class: 'small muted', id: 'room-link', style: 'overflow-wrap:anywhere' });
  const updateLink = () => {
    const room = roomInput.value.trim();
    linkText.textContent = isRoomName(room) ? roomLink(room, largeInput.checked) : '';
  };
  roomInput.addEventListener('input', updateLink);
  updateLink();
  const roomForm = h(
    'form',
    {
      class: 'field',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const room = roomInput.value.trim();
        const ok = isRoomName(room);
        roomError.textContent = ok ? '' : 'Room names use letters, digits, “.”, “-” or “_” (no spaces).';
        roomInput.setAttribute('aria-invalid', String(!ok));
        // The server refuses shorter passwords for a new room, and no protected room has one.
        const password = passwordInput.value;
        const passwordOk = password === '' || [...password].length >= LIMITS.passwordMinChars;
        passwordError.textContent = passwordOk
          ? ''
          : `A room password needs at least ${LIMITS.passwordMinChars} characters.`;
        passwordInput.setAttribute('aria-invalid', String(!passwordOk));
        if (!passwordOk) {
          passwordInput.closest('details')?.setAttribute('open', '');
          passwordInput.focus();
        }
        if (ok && passwordOk) props.onRoom(room, password || null, largeInput.checked);
      },
    },
    h('label', { for: 'room-name' }, 'Room name'),
    h(
      'div',
      { class: 'input-row' },
      roomInput,
      h(
        'button',
        {
          class: 'icon-button',
          type: 'button',
          'aria-label': 'New random room name',
          title: 'New random name',
          onclick: () => {
            roomInput.value = randomRoomName();
            updateLink();
          },
        },
        icon('refresh'),
      ),
    ),
    roomError,
    linkText,
    largeOption,
    h(
      'details',
      { class: 'room-options' },
      h('summary', null, 'Protect with a password'),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'room-password-new' }, 'Room password (optional)'),
        passwordInput,
        passwordError,
        h(
          'p',
          { class: 'field-hint', id: 'room-password-hint' },
          `At least ${LIMITS.passwordMinChars} characters. Set when you create the room; everyone else needs it to join. Share it separately from the link.`,
        ),
      ),
    ),
    h(
      'div',
      { class: 'input-row' },
      h(
        'button',
        { class: 'button primary', type: 'submit', style: 'flex:1' },
        icon('users'),
        'Create or join room',
      ),
      h(
        'button',
        {
          class: 'button ghost',
          type: 'button',
          onclick: async () => {
            const room = roomInput.value.trim();
            if (!isRoomName(room)) return;
            toast(
              (await copyText(roomLink(room, largeInput.checked)))
                ? 'Room link copied. Send it to the people you want to meet.'
                : 'Could not copy; select the link and copy it.',
              'success',
            );
          },
        },
        icon('copy'),
        'Copy link',
      ),
    ),
  );
  const recent = recentRooms();

  const hero = h(
    'div',
    { class: 'hero' },
    h('h1', null, `Hello, ${props.name}`),
    h(
      'p',
      { class: 'lead' },
      'Your camera is ready. Call someone who is online, or open a room and share its link.',
    ),
    props.preview.el,
    h(
      'div',
      { class: 'features' },
      h(
        'div',
        { class: 'feature' },
        icon('shield'),
        h('span', null, 'Calls and small rooms are peer to peer: media never goes through this server.'),
      ),
      h(
        'div',
        { class: 'feature' },
        icon('attach'),
        h('span', null, 'Send files of any size, checked end to end.'),
      ),
      h(
        'div',
        { class: 'feature' },
        icon('users'),
        h(
          'span',
          null,
          'Rooms without an account: six people peer to peer, many more on servers with an SFU.',
        ),
      ),
      h(
        'div',
        { class: 'feature' },
        icon('keyboard'),
        h('span', null, 'Keyboard shortcuts: press ? in a call.'),
      ),
    ),
  );
  const side = h(
    'div',
    { class: 'stack' },
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'call-h' },
      h('div', { class: 'card-header' }, h('h2', { id: 'call-h' }, 'Direct call'), onlineCount),
      callForm,
      online,
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'room-h' },
      h('div', { class: 'card-header' }, h('h2', { id: 'room-h' }, 'Meet in a room')),
      roomForm,
      recent.length
        ? h(
            'div',
            { class: 'stack', style: 'gap:6px' },
            h('span', { class: 'label' }, 'Recent rooms'),
            h(
              'nav',
              { class: 'recent', 'aria-label': 'Recent rooms' },
              recent.map((r) => h('a', { href: `#/room/${encodeURIComponent(r)}` }, r)),
            ),
          )
        : null,
    ),
  );
  replaceChildren(
    root,
    props.header,
    h('main', { class: 'page', id: 'main' }, h('div', { class: 'start' }, hero, side)),
  );
  void props.preview.open();
  return {
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
