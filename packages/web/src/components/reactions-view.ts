/**
 * Reactions on the call screen: a small toolbar of emoji buttons (the set in app/reactions.ts)
 * and the layer over the stage where reactions float up for a few seconds with the sender's
 * name. Reduced motion (the `prefers-reduced-motion` setting) shows them still and lets them fade
 * (styles/reactions.css). Each is said to screen readers politely by the call screen.
 *
 * A component: may import app/ and ui/.
 */
import { REACTIONS, type ReactionEmoji, reactionName } from '../app/reactions.ts';
import { h } from '../ui/dom.ts';

/** How long a burst stays on the stage. */
const BURST_MS = 3200;
/** Most bursts on the stage at once (older ones go first). */
const MAX_ON_STAGE = 12;

/** The reaction buttons and the layer they show on. */
export class ReactionsView {
  /** The toolbar of buttons. */
  readonly bar: HTMLElement;
  /** The layer over the stage. */
  readonly layer: HTMLElement;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();

  /** `send` is asked to send an emoji; it returns false when refused (too many, nobody there). */
  constructor(send: (emoji: ReactionEmoji) => void) {
    this.bar = h(
      'div',
      { class: 'reaction-bar', role: 'toolbar', 'aria-label': 'Reactions' },
      REACTIONS.map((r) =>
        h(
          'button',
          {
            class: 'reaction-button',
            type: 'button',
            title: `React: ${r.name}`,
            'aria-label': `React with ${r.name}`,
            onclick: () => send(r.emoji),
          },
          r.emoji,
        ),
      ),
    );
    this.layer = h('div', { class: 'reaction-layer', 'aria-hidden': 'true' });
  }

  /** Shows `emoji` from `from` floating up the stage. */
  show(from: string, emoji: ReactionEmoji): void {
    while (this.layer.childElementCount >= MAX_ON_STAGE) this.layer.firstElementChild?.remove();
    // A horizontal place of its own, so bursts from several people do not cover one another.
    const left = 8 + Math.floor(Math.random() * 76);
    const el = h(
      'div',
      {
        class: 'reaction-burst',
        style: `left:${left}%`,
        'data-emoji': emoji,
        'data-from': from,
        title: `${from}: ${reactionName(emoji)}`,
      },
      h('span', { class: 'reaction-emoji' }, emoji),
      h('span', { class: 'reaction-from' }, from),
    );
    this.layer.append(el);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      el.remove();
    }, BURST_MS);
    this.#timers.add(timer);
  }

  /** Stops the timers (the screen goes). */
  destroy(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}
