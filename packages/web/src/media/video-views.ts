/**
 * Tells the SDK how large each member's camera tile is on screen, or that it is not seen at all,
 * so that in a large room the SFU sends each tile the simulcast layer it needs and pauses video
 * nobody sees (`room.setVideoView`). Sizes come from a ResizeObserver (CSS pixels of the tile),
 * visibility from an IntersectionObserver (a tile on another page, scrolled away, or zero-sized),
 * the page's `visibilityState` (a background tab sees nothing) and two app-level switches: the
 * stage covered by a panel (phones) and a camera the member turned off.
 *
 * Reports are debounced (a window being dragged produces one report, not sixty) and sent only
 * when a member's view changed.
 */

/** What the SDK is told about one member's tile. */
export type VideoView = { width: number; height: number } | 'hidden';

/** Receives a member's new view. */
export type VideoViewSink = (name: string, view: VideoView) => void;

/** Options of {@link VideoViews}. */
export interface VideoViewsOptions {
  /** Quiet time before changes are reported. Default 250 ms. */
  debounceMs?: number;
}

interface Watched {
  el: Element;
  width: number;
  height: number;
  intersecting: boolean;
  cameraOff: boolean;
  /** The last view reported (undefined: none yet). */
  sent: VideoView | undefined;
}

/** Same view? (sizes compared in whole CSS pixels). */
export function sameView(a: VideoView | undefined, b: VideoView): boolean {
  if (a === undefined) return false;
  if (a === 'hidden' || b === 'hidden') return a === b;
  return a.width === b.width && a.height === b.height;
}

/** Watches members' tiles and reports their views. */
export class VideoViews {
  readonly #sink: VideoViewSink;
  readonly #debounceMs: number;
  readonly #watched = new Map<string, Watched>();
  readonly #byEl = new Map<Element, string>();
  readonly #resize: ResizeObserver;
  readonly #intersect: IntersectionObserver;
  readonly #onVisibility = () => this.#schedule();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stageCovered = false;
  #closed = false;

  constructor(sink: VideoViewSink, options: VideoViewsOptions = {}) {
    this.#sink = sink;
    this.#debounceMs = options.debounceMs ?? 250;
    this.#resize = new ResizeObserver((entries) => {
      for (const entry of entries) {
        const w = this.#entryFor(entry.target);
        if (!w) continue;
        const box = entry.borderBoxSize?.[0];
        w.width = Math.round(box ? box.inlineSize : entry.contentRect.width);
        w.height = Math.round(box ? box.blockSize : entry.contentRect.height);
      }
      this.#schedule();
    });
    this.#intersect = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        const w = this.#entryFor(entry.target);
        if (w) w.intersecting = entry.isIntersecting;
      }
      this.#schedule();
    });
    document.addEventListener('visibilitychange', this.#onVisibility);
  }

  /** Starts watching `name`'s camera tile (replacing an earlier element for the same name). */
  watch(name: string, el: Element): void {
    if (this.#closed) return;
    const old = this.#watched.get(name);
    if (old?.el === el) return;
    if (old) this.#stop(old.el);
    this.#watched.set(name, {
      el,
      width: 0,
      height: 0,
      intersecting: false,
      cameraOff: false,
      sent: old?.sent,
    });
    this.#byEl.set(el, name);
    this.#resize.observe(el);
    this.#intersect.observe(el);
    this.#schedule();
  }

  /** Stops watching `name` (they left); nothing more is reported for them. */
  unwatch(name: string): void {
    const w = this.#watched.get(name);
    if (!w) return;
    this.#stop(w.el);
    this.#watched.delete(name);
  }

  /** A member's camera is off: nothing to show, so their video is reported hidden. */
  setCameraOff(name: string, off: boolean): void {
    const w = this.#watched.get(name);
    if (!w || w.cameraOff === off) return;
    w.cameraOff = off;
    this.#schedule();
  }

  /** The stage is covered (a panel over it on a phone): every tile is reported hidden. */
  setStageCovered(covered: boolean): void {
    if (this.#stageCovered === covered) return;
    this.#stageCovered = covered;
    this.#schedule();
  }

  /** Reports pending changes at once (instead of after the debounce). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#closed) return;
    for (const [name, w] of this.#watched) {
      const view = this.#view(w);
      if (sameView(w.sent, view)) continue;
      w.sent = view;
      try {
        this.#sink(name, view);
      } catch (err) {
        console.error('parley: reporting a video view failed', err);
      }
    }
  }

  /** Stops observing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#resize.disconnect();
    this.#intersect.disconnect();
    document.removeEventListener('visibilitychange', this.#onVisibility);
    this.#watched.clear();
    this.#byEl.clear();
  }

  #view(w: Watched): VideoView {
    const seen =
      document.visibilityState === 'visible' &&
      !this.#stageCovered &&
      !w.cameraOff &&
      w.intersecting &&
      w.width > 0 &&
      w.height > 0;
    return seen ? { width: w.width, height: w.height } : 'hidden';
  }

  #entryFor(el: Element): Watched | undefined {
    const name = this.#byEl.get(el);
    return name === undefined ? undefined : this.#watched.get(name);
  }

  #stop(el: Element): void {
    this.#resize.unobserve(el);
    this.#intersect.unobserve(el);
    this.#byEl.delete(el);
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.flush(), this.#debounceMs);
  }
}
