/**
 * The control bar under the stage. Toggles are buttons with `aria-pressed`, each with a label
 * that names what the button does and a tooltip with its keyboard shortcut.
 */
import { h } from '../ui/dom.ts';
import { type IconName, icon } from '../ui/icons.ts';

/** A toggle or action button of the control bar. */
export class ControlButton {
  readonly el: HTMLButtonElement;
  readonly #icons: [IconName, IconName];
  readonly #badge: HTMLElement;
  readonly #tip: HTMLElement;

  constructor(options: {
    label: string;
    icon: IconName;
    /** Icon while pressed (e.g. a crossed microphone). */
    pressedIcon?: IconName;
    shortcut?: string;
    /** `off` buttons turn red when pressed (mute, camera off); `on` buttons turn blue. */
    tone?: 'off' | 'on' | 'hangup';
    toggle?: boolean;
    /** Extra class, e.g. `desktop-only` for controls that make no sense on a phone. */
    className?: string;
    onClick: () => void;
  }) {
    this.#icons = [options.icon, options.pressedIcon ?? options.icon];
    this.#badge = h('span', { class: 'badge', 'aria-hidden': 'true' });
    this.#tip = h(
      'span',
      { class: 'control-tip', 'aria-hidden': 'true' },
      options.label,
      options.shortcut ? ` (${options.shortcut})` : '',
    );
    const tone =
      options.tone === 'hangup'
        ? 'hangup'
        : options.tone === 'on'
          ? 'toggle-on'
          : options.tone === 'off'
            ? 'toggle-off'
            : '';
    this.el = h('button', {
      class: `control ${tone} ${options.className ?? ''}`.trim(),
      type: 'button',
      'aria-label': options.label,
      'aria-keyshortcuts': options.shortcut,
      onclick: options.onClick,
    });
    if (options.toggle) this.el.setAttribute('aria-pressed', 'false');
    this.el.append(icon(options.icon), this.#tip, this.#badge);
  }

  /** Sets the pressed state (toggles only). */
  setPressed(pressed: boolean): void {
    this.el.setAttribute('aria-pressed', String(pressed));
    this.el.firstElementChild?.replaceWith(icon(this.#icons[pressed ? 1 : 0]));
  }

  /** True when pressed. */
  get pressed(): boolean {
    return this.el.getAttribute('aria-pressed') === 'true';
  }

  /** Shows a small count (unread messages); 0 hides it. */
  setBadge(count: number): void {
    this.#badge.textContent = count > 0 ? String(Math.min(count, 99)) : '';
  }

  /** Enables or disables the button, with a reason as its tooltip. */
  setEnabled(enabled: boolean, reason?: string): void {
    this.el.disabled = !enabled;
    this.el.title = enabled ? '' : (reason ?? '');
  }

  /** Changes the tooltip text. */
  setTip(text: string): void {
    this.#tip.textContent = text;
  }
}

/** Lays out groups of buttons in the bar, with separators. */
export function controlBar(label: string, ...groups: ControlButton[][]): HTMLElement {
  const bar = h('div', { class: 'controls', role: 'toolbar', 'aria-label': label });
  groups.forEach((group, i) => {
    if (i > 0) bar.append(h('span', { class: 'sep', 'aria-hidden': 'true' }));
    bar.append(
      h(
        'div',
        { class: 'group' },
        group.map((b) => b.el),
      ),
    );
  });
  return bar;
}
