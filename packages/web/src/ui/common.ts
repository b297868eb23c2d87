/** Small shared pieces: the top bar, avatars, modal dialogs, a connection chip. */

import { h } from './dom.ts';
import { hueFor, initials } from './format.ts';
import { icon } from './icons.ts';

/** The Parley wordmark, linking home. */
export function brand(): HTMLAnchorElement {
  return h(
    'a',
    { class: 'brand', href: '#/', 'aria-label': 'Parley, home' },
    h('span', { class: 'brand-mark' }, icon('chat')),
    h('span', null, 'Parley'),
  );
}

/** A round avatar with the name's initials in the name's colour. */
export function avatar(name: string, size: '' | 'medium' | 'large' = ''): HTMLElement {
  return h(
    'span',
    { class: `avatar ${size}`.trim(), style: `--hue:${hueFor(name)}`, 'aria-hidden': 'true' },
    initials(name),
  );
}

/** The top bar: brand, an optional title area, and items on the right. */
export function topbar(title: Node | null, ...right: Node[]): HTMLElement {
  return h(
    'header',
    { class: 'topbar' },
    brand(),
    title ? h('div', { class: 'topbar-title' }, title) : null,
    h('div', { class: 'topbar-spacer' }),
    ...right,
  );
}

/** A status chip: ok (green), warn (amber), bad (red) or plain. */
export function chip(text: string, tone: 'ok' | 'warn' | 'bad' | '' = ''): HTMLElement {
  return h('span', { class: `chip ${tone}`.trim() }, text);
}

/** Updates a chip made by {@link chip}. */
export function setChip(el: HTMLElement, text: string, tone: 'ok' | 'warn' | 'bad' | ''): void {
  el.className = `chip ${tone}`.trim();
  el.textContent = text;
}

/** Options of {@link openDialog}. */
export interface DialogOptions {
  /** Accessible name of the dialog (its heading's text). */
  label: string;
  body: Node[];
  className?: string;
  /** Called once when the dialog closes, however it closes. */
  onClose?: () => void;
  /** When false, Escape does not close it (an incoming call must be answered or declined). */
  dismissable?: boolean;
}

/** A modal `<dialog>`: focus is trapped by the browser and returns to where it was on close. */
export function openDialog(options: DialogOptions): { el: HTMLDialogElement; close(): void } {
  const previous = document.activeElement as HTMLElement | null;
  const body = h('div', { class: `dialog-body ${options.className ?? ''}`.trim() }, ...options.body);
  const el = h('dialog', { 'aria-label': options.label }, body);
  let closed = false;
  el.addEventListener('cancel', (e) => {
    if (options.dismissable === false) e.preventDefault();
  });
  el.addEventListener('close', () => {
    if (closed) return;
    closed = true;
    el.remove();
    options.onClose?.();
    previous?.focus?.();
  });
  document.body.append(el);
  el.showModal();
  return {
    el,
    close() {
      if (!closed) el.close();
    },
  };
}
