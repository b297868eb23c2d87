/**
 * The call screen's control bar (microphone, camera, screen, devices | chat, connection, help |
 * leave) and its keyboard shortcuts. The buttons only say what was asked; the call screen does
 * it and sets their pressed state.
 *
 * A component: may import ui/ and other components.
 */
import { ControlButton, controlBar } from './controls.ts';
import { openHelpDialog } from './help-dialog.ts';

/** What the controls (buttons and keys) ask the call screen to do. */
export interface CallActions {
  toggleAudio(): void;
  toggleVideo(): void;
  toggleScreen(): void;
  openDevices(): void;
  toggleChat(): void;
  toggleStats(): void;
  leave(): void;
}

/** The buttons of the bar, by what they do. */
export type CallButton = 'mic' | 'cam' | 'screen' | 'devices' | 'chat' | 'stats' | 'help' | 'leave';

/** The control bar with its shortcuts: M, V, S, D, C, I, H or Esc, ?. */
export class CallControls {
  readonly el: HTMLElement;
  readonly buttons: Readonly<Record<CallButton, ControlButton>>;
  readonly #actions: CallActions;

  /** `kind` names the leave button (Leave room, Hang up). */
  constructor(kind: 'room' | 'call', actions: CallActions) {
    this.#actions = actions;
    this.buttons = {
      mic: new ControlButton({
        label: 'Mute microphone',
        icon: 'mic',
        pressedIcon: 'micOff',
        shortcut: 'M',
        tone: 'off',
        toggle: true,
        onClick: () => actions.toggleAudio(),
      }),
      cam: new ControlButton({
        label: 'Stop camera',
        icon: 'cam',
        pressedIcon: 'camOff',
        shortcut: 'V',
        tone: 'off',
        toggle: true,
        onClick: () => actions.toggleVideo(),
      }),
      screen: new ControlButton({
        label: 'Share screen',
        icon: 'screen',
        pressedIcon: 'screenOff',
        shortcut: 'S',
        tone: 'on',
        toggle: true,
        onClick: () => actions.toggleScreen(),
      }),
      devices: new ControlButton({
        label: 'Devices',
        icon: 'settings',
        shortcut: 'D',
        onClick: () => actions.openDevices(),
      }),
      chat: new ControlButton({
        label: 'Chat',
        icon: 'chat',
        shortcut: 'C',
        tone: 'on',
        toggle: true,
        onClick: () => actions.toggleChat(),
      }),
      stats: new ControlButton({
        label: 'Connection details',
        icon: 'stats',
        shortcut: 'I',
        tone: 'on',
        toggle: true,
        onClick: () => actions.toggleStats(),
      }),
      help: new ControlButton({
        label: 'Keyboard shortcuts',
        icon: 'keyboard',
        shortcut: '?',
        className: 'desktop-only',
        onClick: () => openHelpDialog(),
      }),
      leave: new ControlButton({
        label: kind === 'room' ? 'Leave room' : 'Hang up',
        icon: 'hangup',
        shortcut: 'Esc',
        tone: 'hangup',
        onClick: () => actions.leave(),
      }),
    };
    if (!navigator.mediaDevices?.getDisplayMedia)
      this.buttons.screen.setEnabled(false, 'This browser cannot share its screen');
    const b = this.buttons;
    this.el = controlBar(
      'Call controls',
      [b.mic, b.cam, b.screen, b.devices],
      [b.chat, b.stats, b.help],
      [b.leave],
    );
  }

  /**
   * The shortcuts, for a `keydown` listener on the document. Keys typed into a field are the
   * field's (Escape there only leaves the field), and none act while a dialog is open.
   */
  onKey(e: KeyboardEvent): void {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const target = e.target as HTMLElement | null;
    const typing = target?.closest('input, textarea, select, [contenteditable="true"]');
    if (document.querySelector('dialog[open]')) return;
    const actions = this.#actions;
    if (e.key === 'Escape') {
      if (typing) {
        (target as HTMLElement).blur();
        return;
      }
      e.preventDefault();
      actions.leave();
      return;
    }
    if (typing) return;
    switch (e.key.toLowerCase()) {
      case 'm':
        actions.toggleAudio();
        break;
      case 'v':
        actions.toggleVideo();
        break;
      case 's':
        actions.toggleScreen();
        break;
      case 'c':
        actions.toggleChat();
        break;
      case 'i':
        actions.toggleStats();
        break;
      case 'd':
        actions.openDevices();
        break;
      case 'h':
        actions.leave();
        break;
      case '?':
        openHelpDialog();
        break;
      default:
        return;
    }
    e.preventDefault();
  }
}
