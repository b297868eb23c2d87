/**
 * What shows while a part of the app loaded on demand (the call screen, the self-test; see
 * app/lazy-part.ts) is on its way, when that takes a moment, and when it could not be loaded:
 * the reason and a Reload button (after a deploy the old chunks are gone; a reload fetches the
 * current app).
 *
 * A screen: may import app/ and ui/.
 */
import { describePartFailure } from '../app/lazy-part.ts';
import { topbar } from '../ui/common.ts';
import { h, replaceChildren } from '../ui/dom.ts';
import { icon } from '../ui/icons.ts';

/** Shows that `part` (e.g. "the call screen") is loading. */
export function renderPartLoading(root: HTMLElement, part: string): void {
  replaceChildren(
    root,
    topbar(null),
    h(
      'main',
      { class: 'gate', id: 'main', 'aria-busy': 'true' },
      h('p', { class: 'muted', role: 'status' }, `Loading ${part}…`),
    ),
  );
}

/**
 * Shows that `part` could not be loaded, with a Reload button and a way home (`home`: the app
 * routes there, also when the address already is the home screen's, where a link would do nothing).
 */
export function renderPartFailure(root: HTMLElement, part: string, home: () => void): void {
  replaceChildren(
    root,
    topbar(null),
    h(
      'main',
      { class: 'gate', id: 'main' },
      h(
        'section',
        { class: 'card', role: 'alert', 'data-part-failure': '' },
        h('h2', null, 'Something did not load'),
        h('p', null, describePartFailure(part)),
        h(
          'div',
          { class: 'dialog-actions' },
          h(
            'button',
            { class: 'button primary', type: 'button', onclick: () => location.reload() },
            icon('refresh'),
            'Reload',
          ),
          h('button', { class: 'button ghost', type: 'button', onclick: home }, 'Back home'),
        ),
      ),
    ),
  );
}
