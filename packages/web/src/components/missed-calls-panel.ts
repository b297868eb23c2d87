/**
 * Reaching you in the background, on the home screen (issue 19):
 * - {@link MissedCallsPanel}: "Missed calls", one row per call that rang and was not answered
 *   (who, when), with Call back and Dismiss; empty and hidden while there are none.
 * - {@link NotifyOffer}: the "Ring me in the background" button that asks for the notification
 *   permission, shown only while the browser has never been asked (a prompt is never raised on
 *   page load: only this click asks).
 *
 * A component: may import app/ and ui/.
 */
import { type MissedCalls, type NotifyPermission, notificationOffer } from '../app/attention.ts';
import { announce } from '../ui/announce.ts';
import { avatar } from '../ui/common.ts';
import { h, replaceChildren } from '../ui/dom.ts';
import { formatClock } from '../ui/format.ts';
import { icon } from '../ui/icons.ts';

/** The missed-call list; `el` is hidden while it is empty. */
export class MissedCallsPanel {
  readonly el: HTMLElement;
  readonly #store: MissedCalls;
  readonly #callBack: (name: string) => void;
  readonly #off: () => void;

  constructor(store: MissedCalls, callBack: (name: string) => void) {
    this.#store = store;
    this.#callBack = callBack;
    this.el = h('section', { class: 'card missed-calls', 'aria-labelledby': 'missed-calls-title' });
    this.#off = store.onChange(() => this.#render());
    this.#render();
  }

  destroy(): void {
    this.#off();
  }

  #render(): void {
    const entries = this.#store.entries;
    this.el.hidden = entries.length === 0;
    replaceChildren(
      this.el,
      entries.length === 0
        ? null
        : [
            h('h2', { id: 'missed-calls-title' }, 'Missed calls'),
            h(
              'ul',
              { class: 'missed-list' },
              entries.map((e) => {
                const when = formatClock(new Date(e.at));
                return h(
                  'li',
                  { class: 'missed-call' },
                  avatar(e.from),
                  h(
                    'span',
                    { class: 'missed-who' },
                    h('strong', null, e.from),
                    h('span', { class: 'muted small' }, when),
                  ),
                  h(
                    'button',
                    {
                      class: 'button success small',
                      type: 'button',
                      'aria-label': `Call ${e.from} back`,
                      onclick: () => {
                        this.#store.dismiss(e.call);
                        this.#callBack(e.from);
                      },
                    },
                    icon('phone'),
                    'Call back',
                  ),
                  h(
                    'button',
                    {
                      class: 'button ghost small',
                      type: 'button',
                      'aria-label': `Dismiss the missed call from ${e.from} at ${when}`,
                      onclick: () => {
                        this.#store.dismiss(e.call);
                        announce(`Missed call from ${e.from} dismissed`);
                      },
                    },
                    'Dismiss',
                  ),
                );
              }),
            ),
          ],
    );
  }
}

/** The browser's notification permission, as far as this page can tell. */
export function notifyPermission(): NotifyPermission {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

/** "Ring me in the background": asks for notifications on click; gone once answered. */
export class NotifyOffer {
  readonly el: HTMLElement;

  constructor() {
    const button = h(
      'button',
      {
        class: 'button small',
        type: 'button',
        onclick: () => void this.#ask(),
      },
      icon('phone'),
      'Ring me in the background',
    );
    this.el = h(
      'section',
      { class: 'card notify-offer', 'aria-label': 'Notifications for calls' },
      h(
        'p',
        { class: 'muted small' },
        'Allow notifications so a call reaches you while Parley is in a background tab.',
      ),
      button,
    );
    this.el.hidden = !notificationOffer(notifyPermission());
  }

  async #ask(): Promise<void> {
    let answer: NotificationPermission = 'default';
    try {
      answer = await Notification.requestPermission();
    } catch {
      // Old callback-only implementations or a blocked frame: treated as not granted.
    }
    this.el.hidden = !notificationOffer(answer);
    if (answer === 'granted') announce('Calls will now notify you while Parley is in the background');
    else if (answer === 'denied')
      announce(
        'Notifications blocked: calls ring only while Parley is open. The browser’s site settings can change this.',
      );
  }
}
