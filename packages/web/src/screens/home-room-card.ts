/**
 * The home screen's room card: a room name (random by default) with its link, an optional
 * password, the large-room option when the server has an SFU, and the recent rooms.
 *
 * A screen part: may import app/, components/ and ui/.
 */
import { LIMITS } from '@parley/protocol';
import { serverHasSfu } from '../app/endpoints.ts';
import { recentRooms } from '../app/prefs.ts';
import { randomRoomName } from '../app/room-names.ts';
import { isRoomName, roomLink } from '../app/router.ts';
import { toast } from '../ui/announce.ts';
import { copyText } from '../ui/clipboard.ts';
import { h } from '../ui/dom.ts';
import { icon } from '../ui/icons.ts';

/**
 * What the card asks for: join (or create) `room`; `password` protects a new room, or opens a
 * protected one; `large` creates a new room with its media through the server's SFU from the start.
 */
export type OnRoom = (room: string, password: string | null, large: boolean, e2ee?: string) => void;

/** A fresh end-to-end encryption secret for an encrypted room link: 16 random bytes, base64url. */
function newRoomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/** The room card. */
export function roomCard(onRoom: OnRoom): HTMLElement {
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
  // An encrypted room: the link carries a fresh secret in its fragment (never sent to the server).
  let secret = newRoomSecret();
  const e2eeInput = h('input', {
    type: 'checkbox',
    id: 'room-e2ee',
    'aria-describedby': 'room-e2ee-hint',
    onchange: () => {
      secret = newRoomSecret();
      updateLink();
    },
  });
  const e2eeOption = h(
    'div',
    { class: 'check-row' },
    e2eeInput,
    h(
      'div',
      { class: 'stack', style: 'gap:2px' },
      h('label', { for: 'room-e2ee' }, 'Encrypted room (end to end)'),
      h(
        'p',
        { class: 'field-hint', id: 'room-e2ee-hint' },
        'Video and sound are encrypted so that only people with this link can see and hear them — not the server. The server still knows who is in the room and for how long. Share the whole link.',
      ),
    ),
  );
  void serverHasSfu().then((has) => {
    largeOption.hidden = !has;
  });
  const linkText = h('code', { class: 'small muted', id: 'room-link', style: 'overflow-wrap:anywhere' });
  const updateLink = () => {
    const room = roomInput.value.trim();
    linkText.textContent = isRoomName(room)
      ? roomLink(room, largeInput.checked, e2eeInput.checked ? secret : undefined)
      : '';
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
        if (ok && passwordOk)
          onRoom(room, password || null, largeInput.checked, e2eeInput.checked ? secret : undefined);
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
    e2eeOption,
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
              (await copyText(roomLink(room, largeInput.checked, e2eeInput.checked ? secret : undefined)))
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
  return h(
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
  );
}
