/**
 * The stage's grid of tiles. It picks the number of columns that makes tiles as large as possible
 * for the space available and gives every tile the same fixed size, so a stream starting or a
 * resolution change never moves anything; only a person arriving or leaving re-flows the grid.
 * With exactly one other person (and no screen share) it switches to a "spotlight" layout: the
 * other person fills the stage and your own view floats in a corner.
 *
 * Large rooms: past six tiles every tile is 16:9; when even the smallest readable tile
 * ({@link MIN_TILE_W_PX}) would not fit them all, the grid pages (a pager below it) and tiles on
 * other pages are hidden (`display: none`, so whoever watches their visibility sees them leave
 * the screen). The room's active speaker is kept in view: when they are on another page, they
 * take the place of whoever on this page spoke least recently. Order is set with CSS `order`,
 * never by moving elements (moving a playing `<video>` can stall it).
 */
import { h } from '../ui/dom.ts';
import { icon } from '../ui/icons.ts';
import type { VideoTile } from './video-tile.ts';

const GAP_PX = 12;
/** Narrowest tile before the grid pages instead of shrinking tiles further (names stay legible). */
export const MIN_TILE_W_PX = 168;
/** Below this tile width labels and initials shrink. */
const DENSE_TILE_W_PX = 260;
/** Shortest row of the column beside a presented screen. */
const MIN_SIDE_ROW_H_PX = 84;
/** Up to this many tiles, phones in portrait get tall tiles; past it tiles are 16:9 everywhere. */
const SMALL_ROOM_TILES = 6;

/** Best column count and tile size for `n` tiles of aspect `ratio` in a `w`×`h` box. */
export function fitGrid(n: number, w: number, hgt: number, ratio: number, gap = GAP_PX) {
  let best = { cols: 1, rows: Math.max(1, n), width: 0, height: 0 };
  for (let cols = 1; cols <= Math.max(1, n); cols++) {
    const rows = Math.ceil(n / cols);
    const cellW = (w - gap * (cols - 1)) / cols;
    const cellH = (hgt - gap * (rows - 1)) / rows;
    const width = Math.max(0, Math.min(cellW, cellH * ratio));
    if (width > best.width) best = { cols, rows, width, height: width / ratio };
  }
  return best;
}

/** How many tiles of width `minW` and aspect `ratio` fit in a `w`×`h` box (at least one). */
export function pageCapacity(w: number, hgt: number, ratio: number, minW: number, gap = GAP_PX): number {
  const cols = Math.max(1, Math.floor((w + gap) / (minW + gap)));
  const rows = Math.max(1, Math.floor((hgt + gap) / (minW / ratio + gap)));
  return cols * rows;
}

/** The grid of tiles on the stage. */
export class VideoGrid {
  readonly el: HTMLElement;
  /** Page controls, shown below the grid only when not everyone fits. */
  readonly pager: HTMLElement;
  readonly #tiles: VideoTile[] = [];
  /** Display order (self first, then arrival order, adjusted to keep the speaker in view). */
  readonly #order: VideoTile[] = [];
  /** When each tile was last the active speaker (0: never), to pick whom a speaker replaces. */
  readonly #spokeAt = new Map<VideoTile, number>();
  readonly #observer: ResizeObserver;
  readonly #pageText: HTMLElement;
  readonly #prev: HTMLButtonElement;
  readonly #next: HTMLButtonElement;
  #spotlight = true;
  #page = 0;
  #pages = 1;
  /** Tiles on the current page (or beside the presented screen), in order. */
  #shown: VideoTile[] = [];
  #speaker: string | undefined;
  /** Fit / fill chosen per tile (person and camera or screen), for the rest of the call. */
  readonly #fitChoice = new Map<string, boolean>();

  constructor(label: string) {
    this.el = h('section', { class: 'grid', 'aria-label': label });
    this.#pageText = h('span', { class: 'pager-text', 'aria-live': 'polite' });
    this.#prev = h(
      'button',
      {
        class: 'icon-button',
        type: 'button',
        'aria-label': 'Previous page of participants',
        onclick: () => this.showPage(this.#page - 1),
      },
      icon('arrowLeft'),
    );
    this.#next = h(
      'button',
      {
        class: 'icon-button',
        type: 'button',
        'aria-label': 'Next page of participants',
        onclick: () => this.showPage(this.#page + 1),
      },
      icon('arrowRight'),
    );
    this.pager = h(
      'nav',
      { class: 'pager', 'aria-label': 'Participant pages', hidden: true },
      this.#prev,
      this.#pageText,
      this.#next,
    );
    this.#observer = new ResizeObserver(() => this.layout());
    this.#observer.observe(this.el);
  }

  /** Tiles in order of arrival (self first). */
  get tiles(): readonly VideoTile[] {
    return this.#tiles;
  }

  /** Allows or forbids the spotlight layout for two participants (rooms keep the grid). */
  setSpotlight(allowed: boolean): void {
    this.#spotlight = allowed;
    this.layout();
  }

  /** Adds a tile; the self tile stays first in reading order. */
  add(tile: VideoTile): void {
    this.#tiles.push(tile);
    this.#tiles.sort((a, b) => Number(b.self) - Number(a.self));
    const next = this.#tiles[this.#tiles.indexOf(tile) + 1];
    this.el.insertBefore(tile.el, next ? next.el : null);
    if (tile.self && !tile.isScreen) this.#order.unshift(tile);
    else this.#order.push(tile);
    this.#spokeAt.set(tile, 0);
    const key = `${tile.self ? 'self' : 'peer'}\0${tile.isScreen ? 'screen' : 'camera'}\0${tile.name}`;
    const chosen = this.#fitChoice.get(key);
    if (chosen !== undefined) tile.setFit(chosen);
    tile.onFitChange = (fit) => this.#fitChoice.set(key, fit);
    tile.setActiveSpeaker(this.#speaker !== undefined && !tile.isScreen && tile.name === this.#speaker);
    this.layout();
  }

  /** Removes a tile (and detaches its stream). */
  remove(tile: VideoTile): void {
    const i = this.#tiles.indexOf(tile);
    if (i < 0) return;
    this.#tiles.splice(i, 1);
    this.#order.splice(this.#order.indexOf(tile), 1);
    this.#spokeAt.delete(tile);
    tile.destroy();
    this.layout();
  }

  /**
   * Highlights the room's active speaker (undefined: nobody) and, when the grid pages, brings
   * them onto the page shown in place of whoever there spoke least recently.
   */
  setActiveSpeaker(name: string | undefined): void {
    this.#speaker = name;
    let speaker: VideoTile | undefined;
    for (const t of this.#tiles) {
      const active = name !== undefined && !t.isScreen && t.name === name;
      t.setActiveSpeaker(active);
      if (active && !t.self) speaker = t;
    }
    if (!speaker) return;
    this.#spokeAt.set(speaker, performance.now());
    if (this.#pages > 1 && !this.#shown.includes(speaker)) this.layout();
  }

  /** Shows page `index` (clamped) of a paged grid. */
  showPage(index: number): void {
    const page = Math.max(0, Math.min(this.#pages - 1, index));
    if (page === this.#page) return;
    this.#page = page;
    this.layout();
  }

  /** Recomputes the layout; called on resize and when tiles come and go. */
  layout(): void {
    const n = this.#tiles.length;
    const selfTiles = this.#tiles.filter((t) => t.self).length;
    const presented = this.#tiles.find((t) => t.isScreen) ?? null;
    for (const t of this.#tiles) t.el.classList.toggle('presented', t === presented);
    if (presented && n > 1) {
      this.#present(presented);
      return;
    }
    const pip = this.#spotlight && n === 2 && selfTiles === 1;
    for (const t of this.#tiles) {
      t.el.style.removeProperty('grid-column');
      t.el.style.removeProperty('grid-row');
    }
    this.#applyOrder(this.#order);
    this.el.style.alignContent = 'center';
    this.el.style.removeProperty('justify-content');
    this.el.dataset.layout = pip ? 'pip' : 'grid';
    this.el.dataset.count = String(n);
    this.el.style.removeProperty('grid-template-columns');
    this.el.style.removeProperty('grid-template-rows');
    this.el.style.removeProperty('max-width');
    const { width, height } = this.el.getBoundingClientRect();
    if (pip || width === 0 || height === 0 || n === 0) {
      this.#paginate(this.#order, this.#order.length);
      return;
    }
    // Portrait boxes (phones) get taller tiles so faces stay large; many people get 16:9.
    const portrait = width < height * 0.8;
    const ratio = n > SMALL_ROOM_TILES ? 16 / 9 : portrait ? (n <= 4 ? 4 / 5 : 1) : 16 / 9;
    let fit = fitGrid(n, width, height, ratio);
    // Two columns at least, whatever the minimum width says (a phone holds two small tiles).
    const minW = Math.min(MIN_TILE_W_PX, (width - GAP_PX) / 2);
    if (fit.width < minW) {
      const perPage = Math.min(n, pageCapacity(width, height, ratio, minW));
      this.#paginate(this.#order, perPage);
      // Every page has the full page's tile size, so paging never resizes tiles.
      fit = fitGrid(perPage, width, height, ratio);
    } else {
      this.#paginate(this.#order, n);
    }
    this.el.classList.toggle('dense', fit.width < DENSE_TILE_W_PX);
    // Rows are laid out by flex-wrap so a last, incomplete row stays centred.
    this.el.style.setProperty('--tile-w', `${Math.floor(fit.width)}px`);
    this.el.style.setProperty('--tile-h', `${Math.floor(fit.height)}px`);
    this.el.style.maxWidth = `${Math.ceil(fit.cols * fit.width + (fit.cols - 1) * GAP_PX) + 1}px`;
  }

  /** Sets each tile's CSS `order` (its place on the grid) from `tiles`. */
  #applyOrder(tiles: readonly VideoTile[]): void {
    tiles.forEach((t, i) => {
      const order = String(i);
      if (t.el.style.order !== order) t.el.style.order = order;
    });
  }

  /**
   * Splits `tiles` (the display order, or part of it) into pages of `perPage`, shows the current
   * one and hides the rest. An active speaker on another page first trades places with whoever
   * on this page spoke least recently (never the self tile).
   */
  #paginate(tiles: VideoTile[], perPage: number, always: readonly VideoTile[] = []): void {
    const per = Math.max(1, perPage);
    this.#pages = Math.max(1, Math.ceil(tiles.length / per));
    this.#page = Math.min(this.#page, this.#pages - 1);
    const speaker = this.#tiles.find((t) => t.activeSpeaker && !t.self && !t.isScreen);
    const at = speaker ? tiles.indexOf(speaker) : -1;
    const start = this.#page * per;
    if (speaker && at >= 0 && (at < start || at >= start + per)) {
      const out = tiles
        .slice(start, start + per)
        .filter((t) => !t.self && !t.isScreen)
        .reduce<VideoTile | undefined>(
          (oldest, t) => (!oldest || this.#spokeAt.get(t)! < this.#spokeAt.get(oldest)! ? t : oldest),
          undefined,
        );
      if (out) {
        const swap = (list: VideoTile[]) => {
          const a = list.indexOf(out);
          const b = list.indexOf(speaker);
          list[a] = speaker;
          list[b] = out;
        };
        swap(this.#order);
        if (tiles !== this.#order) swap(tiles);
        this.#applyOrder(always.length > 0 ? [...always, ...tiles] : tiles);
      }
    }
    this.#shown = [...always, ...tiles.slice(this.#page * per, (this.#page + 1) * per)];
    const shown = new Set(this.#shown);
    for (const t of this.#tiles) t.el.classList.toggle('off-page', !shown.has(t));
    const paged = this.#pages > 1;
    this.pager.hidden = !paged;
    this.el.classList.toggle('paged', paged);
    if (paged) {
      const from = this.#page * per + 1;
      const to = Math.min(tiles.length, from + per - 1);
      this.#pageText.textContent = `${from}–${to} of ${tiles.length} · page ${this.#page + 1} of ${this.#pages}`;
      this.#prev.disabled = this.#page === 0;
      this.#next.disabled = this.#page === this.#pages - 1;
    }
  }

  /** A screen share on the stage: the screen large, everyone else in a column beside it. */
  #present(screen: VideoTile): void {
    this.el.dataset.layout = 'present';
    this.el.style.removeProperty('max-width');
    this.el.dataset.count = String(this.#tiles.length);
    const others = this.#order.filter((t) => t !== screen);
    // The screen goes first in the grid so it takes the big cell.
    this.#applyOrder([screen, ...others]);
    const { width, height } = this.el.getBoundingClientRect();
    if (width === 0 || height === 0) {
      this.#paginate(others, others.length, [screen]);
      return;
    }
    const portrait = width < height;
    if (portrait) {
      const stripH = Math.min(height * 0.3, 160);
      // A strip of at most as many tiles as stay legible across the width.
      const cols = Math.max(1, Math.min(others.length, Math.floor((width + GAP_PX) / (96 + GAP_PX))));
      this.#paginate(others, cols, [screen]);
      this.el.style.gridTemplateColumns = `repeat(${cols}, minmax(0, 1fr))`;
      this.el.style.gridTemplateRows = `minmax(0, 1fr) ${Math.floor(stripH)}px`;
      screen.el.style.gridColumn = '1 / -1';
      screen.el.style.gridRow = '1';
      return;
    }
    screen.el.style.removeProperty('grid-column');
    screen.el.style.removeProperty('grid-row');
    const side = Math.min(Math.max(width * 0.22, 160), 300);
    const fits = Math.max(1, Math.floor((height + GAP_PX) / (MIN_SIDE_ROW_H_PX + GAP_PX)));
    const rows = Math.max(1, Math.min(others.length, fits));
    this.#paginate(others, rows, [screen]);
    const rowH = Math.min((height - GAP_PX * (rows - 1)) / rows, (side * 9) / 16);
    this.el.style.gridTemplateColumns = `minmax(0, 1fr) ${Math.floor(side)}px`;
    this.el.style.gridTemplateRows = `repeat(${rows}, ${Math.floor(rowH)}px)`;
    this.el.style.justifyContent = 'stretch';
    this.el.style.alignContent = 'center';
  }

  /** Stops observing and removes every tile. */
  destroy(): void {
    this.#observer.disconnect();
    for (const tile of [...this.#tiles]) tile.destroy();
    this.#tiles.length = 0;
    this.#order.length = 0;
  }
}
