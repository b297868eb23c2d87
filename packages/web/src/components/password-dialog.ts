/** Asks for a room's password (rooms can be protected by whoever creates them). */
import { LIMITS } from '@parley/protocol';
import { openDialog } from '../ui/common.ts';
import { h } from '../ui/dom.ts';
import { icon } from '../ui/icons.ts';

/** Resolves with the password typed, or null when the person gives up. */
export function askRoomPassword(room: string, wrong: boolean): Promise<string | null> {
  return new Promise((resolve) => {
    let answer: string | null = null;
    const input = h('input', {
      class: 'input',
      id: 'room-password',
      type: 'password',
      autocomplete: 'off',
      maxLength: LIMITS.passwordMaxChars,
      required: true,
      'aria-describedby': 'room-password-note',
    });
    const dialog = openDialog({
      label: `Password for ${room}`,
      onClose: () => resolve(answer),
      body: [
        h(
          'form',
          {
            class: 'stack',
            onsubmit: (e: Event) => {
              e.preventDefault();
              if (!input.value) return;
              answer = input.value;
              dialog.close();
            },
          },
          h('div', { class: 'dialog-head' }, h('h2', null, `“${room}” is protected`), icon('shield')),
          h(
            'p',
            {
              class: wrong ? 'field-error' : 'muted',
              id: 'room-password-note',
              role: wrong ? 'alert' : null,
            },
            wrong
              ? 'That password is not right. Check it with the person who created the room.'
              : 'Whoever created this room set a password. Type it to join.',
          ),
          h('div', { class: 'field' }, h('label', { for: 'room-password' }, 'Room password'), input),
          h(
            'div',
            { class: 'dialog-actions' },
            h('button', { class: 'button ghost', type: 'button', onclick: () => dialog.close() }, 'Cancel'),
            h('button', { class: 'button primary', type: 'submit' }, 'Join'),
          ),
        ),
      ],
    });
    input.focus();
  });
}
