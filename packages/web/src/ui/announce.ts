/**
 * Live regions and toasts. Screen readers hear status through `#status` (polite) and failures
 * through `#alert` (assertive); sighted people see a toast for the same text.
 */
import { h } from './dom.ts';
import { type IconName, icon } from './icons.ts';

let clearTimer: ReturnType<typeof setTimeout> | undefined;

function region(id: 'status' | 'alert'): HTMLElement | null {
  return document.getElementById(id);
}

/** Says `text` to screen readers (polite by default). */
export function announce(text: string, urgency: 'polite' | 'assertive' = 'polite'): void {
  const el = region(urgency === 'assertive' ? 'alert' : 'status');
  if (!el) return;
  // Clearing first makes readers repeat an identical message.
  el.textContent = '';
  requestAnimationFrame(() => {
    el.textContent = text;
  });
  clearTimeout(clearTimer);
  clearTimer = setTimeout(() => {
    el.textContent = '';
  }, 8000);
}

/** How a toast looks. */
export type ToastKind = 'info' | 'success' | 'warning' | 'error';

const KIND_ICON: Record<ToastKind, IconName> = {
  info: 'info',
  success: 'check',
  warning: 'alert',
  error: 'alert',
};

/** Shows a short message in the corner and announces it. */
export function toast(text: string, kind: ToastKind = 'info', timeoutMs = 5000): void {
  announce(text, kind === 'error' ? 'assertive' : 'polite');
  const host = document.getElementById('toasts');
  if (!host) return;
  const close = h(
    'button',
    { class: 'icon-button small', type: 'button', 'aria-label': 'Dismiss', onclick: () => el.remove() },
    icon('cross'),
  );
  const el = h('div', { class: `toast toast-${kind}` }, icon(KIND_ICON[kind]), h('span', null, text), close);
  host.append(el);
  while (host.children.length > 4) host.firstElementChild?.remove();
  setTimeout(() => el.remove(), timeoutMs);
}
