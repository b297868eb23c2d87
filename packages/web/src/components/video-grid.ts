/**
 * The stage's grid of tiles. It picks the number of columns that makes tiles as large as possible
 * for the space available and gives every tile the same fixed size, so a stream starting or a
 * resolution change never moves anything; only a person arriving or leaving re-flows the grid.
 * With exactly one other person (and no screen share) it switches to a "spotlight" layout: the
 * other person fills the stage and your own view floats in a corner.
 */
import { h } from '../ui/dom.ts';
import type { VideoTile } from './video-tile.ts';

const GAP_PX = 12;

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

/** The grid of tiles on the stage. */
export class VideoGrid {
  readonly el: HTMLElement;
  readonly #tiles: VideoTile[] = [];
  readonly #observer: ResizeObserver;
  #spotlight = true;

  constructor(label: string) {
    this.el = h('section', { class: 'grid', 'aria-label': label });
    this.#observer = new ResizeObserver(() => this.layout());
    this.#observer.observe(this.el);
  }

  /** Tiles in order. */
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
    this.layout();
  }

  /** Removes a tile (and detaches its stream). */
  remove(tile: VideoTile): void {
    const i = this.#tiles.indexOf(tile);
    if (i < 0) return;
    this.#tiles.splice(i, 1);
    tile.destroy();
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
    this.#order(this.#tiles);
    this.el.style.alignContent = 'center';
    this.el.dataset.layout = pip ? 'pip' : 'grid';
    this.el.dataset.count = String(n);
    this.el.style.removeProperty('grid-template-columns');
    this.el.style.removeProperty('grid-template-rows');
    this.el.style.removeProperty('max-width');
    if (pip) return;
    const { width, height } = this.el.getBoundingClientRect();
    if (width === 0 || height === 0 || n === 0) return;
    // Portrait boxes (phones) get taller tiles so faces stay large; many people get squares.
    const portrait = width < height * 0.8;
    const ratio = portrait ? (n <= 4 ? 4 / 5 : 1) : 16 / 9;
    const fit = fitGrid(n, width, height, ratio);
    // Rows are laid out by flex-wrap so a last, incomplete row stays centred.
    this.el.style.setProperty('--tile-w', `${Math.floor(fit.width)}px`);
    this.el.style.setProperty('--tile-h', `${Math.floor(fit.height)}px`);
    this.el.style.maxWidth = `${Math.ceil(fit.cols * fit.width + (fit.cols - 1) * GAP_PX) + 1}px`;
  }

  /** Puts the tiles' elements in this order, moving only when it differs (moves can stall video). */
  #order(tiles: readonly VideoTile[]): void {
    const current = [...this.el.children];
    if (tiles.every((t, i) => current[i] === t.el)) return;
    for (const t of tiles) this.el.append(t.el);
  }

  /** A screen share on the stage: the screen large, everyone else in a column beside it. */
  #present(screen: VideoTile): void {
    this.el.dataset.layout = 'present';
    this.el.style.removeProperty('max-width');
    this.el.dataset.count = String(this.#tiles.length);
    const { width, height } = this.el.getBoundingClientRect();
    if (width === 0 || height === 0) return;
    const others = this.#tiles.length - 1;
    const portrait = width < height;
    // The screen goes first in the grid so it takes the big cell.
    this.#order([screen, ...this.#tiles.filter((t) => t !== screen)]);
    if (portrait) {
      const stripH = Math.min(height * 0.3, 160);
      const cols = Math.max(1, others);
      this.el.style.gridTemplateColumns = `repeat(${cols}, minmax(0, 1fr))`;
      this.el.style.gridTemplateRows = `minmax(0, 1fr) ${Math.floor(stripH)}px`;
      screen.el.style.gridColumn = '1 / -1';
      screen.el.style.gridRow = '1';
      return;
    }
    screen.el.style.removeProperty('grid-column');
    screen.el.style.removeProperty('grid-row');
    const side = Math.min(Math.max(width * 0.22, 160), 300);
    const rowH = Math.min((height - GAP_PX * (others - 1)) / Math.max(1, others), (side * 9) / 16);
    this.el.style.gridTemplateColumns = `minmax(0, 1fr) ${Math.floor(side)}px`;
    this.el.style.gridTemplateRows = `repeat(${Math.max(1, others)}, ${Math.floor(rowH)}px)`;
    this.el.style.justifyContent = 'stretch';
    this.el.style.alignContent = 'center';
  }

  /** Stops observing and removes every tile. */
  destroy(): void {
    this.#observer.disconnect();
    for (const tile of [...this.#tiles]) tile.destroy();
    this.#tiles.length = 0;
  }
}
