/** The keyboard shortcuts dialog (opened with ? or the help button). */
import { openDialog } from '../ui/common.ts';
import { h } from '../ui/dom.ts';
import { icon } from '../ui/icons.ts';

/** The shortcuts of the call screen, shown in the dialog and handled by the call screen. */
export const SHORTCUTS: readonly [keys: string[], what: string][] = [
  [['M'], 'Mute or unmute your microphone'],
  [['V'], 'Turn your camera off or on'],
  [['S'], 'Share your screen, or stop sharing'],
  [['C'], 'Show or hide the chat'],
  [['I'], 'Show or hide connection details'],
  [['D'], 'Choose camera, microphone and speaker'],
  [['Esc', 'H'], 'Hang up / leave (Esc closes a dialog first)'],
  [['?'], 'Show this help'],
];

/** Opens the shortcuts dialog. */
export function openHelpDialog(): void {
  const dialog = openDialog({
    label: 'Keyboard shortcuts',
    body: [
      h(
        'div',
        { class: 'dialog-head' },
        h('h2', null, 'Keyboard shortcuts'),
        h(
          'button',
          { class: 'icon-button', type: 'button', 'aria-label': 'Close', onclick: () => dialog.close() },
          icon('cross'),
        ),
      ),
      h('p', { class: 'muted small' }, 'Shortcuts work anywhere in a call, except while you type a message.'),
      h(
        'dl',
        { class: 'shortcuts' },
        SHORTCUTS.map(([keys, what]) => [
          h(
            'dt',
            null,
            keys.map((k, i) => [i > 0 ? ' or ' : '', h('kbd', null, k)]),
          ),
          h('dd', null, what),
        ]),
      ),
      h(
        'div',
        { class: 'dialog-actions' },
        h('button', { class: 'button primary', type: 'button', onclick: () => dialog.close() }, 'Got it'),
      ),
    ],
  });
}
