/**
 * The call timer in the top bar: how long the call or room visit has lasted, from the moment it
 * connected (a call) or we joined (a room). A `timer` role element; it is not a live region, so
 * screen readers read it when asked, not every second.
 *
 * A component: may import ui/.
 */
import { h } from '../ui/dom.ts';
import { formatDuration } from '../ui/format.ts';

/** The timer. */
export class CallTimer {
  readonly el: HTMLElement;
  #startedAt: number | null = null;
  #tick: ReturnType<typeof setInterval> | undefined;

  constructor() {
    this.el = h('span', { class: 'call-timer', role: 'timer', 'aria-label': 'Call duration', hidden: true });
  }

  /** When it started (null: not yet). */
  get startedAt(): number | null {
    return this.#startedAt;
  }

  /** Starts counting (a second call keeps the first start). */
  start(now = Date.now()): void {
    if (this.#startedAt !== null) return;
    this.#startedAt = now;
    this.el.hidden = false;
    this.#render();
    this.#tick = setInterval(() => this.#render(), 1000);
  }

  #render(): void {
    if (this.#startedAt === null) return;
    this.el.textContent = formatDuration((Date.now() - this.#startedAt) / 1000);
  }

  /** Stops the clock (the screen goes). */
  stop(): void {
    clearInterval(this.#tick);
  }
}
