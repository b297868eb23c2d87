/**
 * Live progress bars on a terminal, redrawn in place: each active transfer has one line at the
 * bottom of the output; other text is printed above them. Redraws are throttled (a transfer can
 * report hundreds of times a second) and skipped when nothing changed.
 */
import { formatProgressLine, type ProgressView } from './format.ts';

/** The part of a TTY stream the renderer uses (a fake in unit tests). */
export interface TerminalStream {
  write(text: string): unknown;
  readonly columns?: number;
}

/** Default redraw period: 10 times a second is smooth for the eye and cheap for the CPU. */
export const REDRAW_INTERVAL_MS = 100;

const ERASE_LINE = '\x1b[2K';
const cursorUp = (n: number) => (n > 0 ? `\x1b[${n}A` : '');

/** See the file comment. */
export class ProgressRenderer {
  readonly #out: TerminalStream;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #bars = new Map<string, ProgressView>();
  /** Lines currently drawn at the bottom (the live area). */
  #drawn = 0;
  #lastFrame = '';
  #lastDrawMs = Number.NEGATIVE_INFINITY;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(out: TerminalStream, options: { intervalMs?: number; now?: () => number } = {}) {
    this.#out = out;
    this.#intervalMs = options.intervalMs ?? REDRAW_INTERVAL_MS;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Adds or updates a bar; the screen catches up within one interval. */
  update(id: string, view: ProgressView): void {
    this.#bars.set(id, view);
    this.#schedule();
  }

  /** Removes a bar and prints `finalLine` (if any) above the live area, right away. */
  finish(id: string, finalLine?: string): void {
    this.#bars.delete(id);
    this.#draw(finalLine === undefined ? [] : [finalLine]);
  }

  /** Prints text lines above the live area (status, chat), right away. */
  print(line: string): void {
    this.#draw([line]);
  }

  /** Draws the final state and stops the timer; the live area stays on screen. */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#draw([]);
  }

  #schedule(): void {
    if (this.#timer) return;
    const wait = Math.max(0, this.#lastDrawMs + this.#intervalMs - this.#now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#draw([]);
    }, wait);
    this.#timer.unref?.();
  }

  #draw(above: string[]): void {
    const columns = this.#out.columns && this.#out.columns > 20 ? this.#out.columns : 80;
    const lines = [...this.#bars.values()].map((v) => formatProgressLine(v, columns));
    const frame = lines.join('\n');
    if (above.length === 0 && frame === this.#lastFrame && lines.length === this.#drawn) return;
    // Return to the start of the live area, then rewrite it (and anything printed above it).
    // With bars on screen the cursor rests at the end of the last bar (no newline), so the next
    // frame can come back with \r; without bars it rests at the start of a fresh line.
    const rows = [...above, ...lines];
    let text = this.#drawn > 0 ? `\r${cursorUp(this.#drawn - 1)}` : '';
    rows.forEach((row, i) => {
      text += `${ERASE_LINE}${row}`;
      if (i < rows.length - 1 || lines.length === 0) text += '\n';
    });
    // Erase what is left of a taller previous frame, then come back up.
    const stale = this.#drawn - rows.length;
    if (stale > 0) {
      if (lines.length > 0) text += `\n${ERASE_LINE}`.repeat(stale) + cursorUp(stale);
      else text += ERASE_LINE + `\n${ERASE_LINE}`.repeat(stale - 1) + cursorUp(stale - 1);
    }
    this.#out.write(text);
    this.#drawn = lines.length;
    this.#lastFrame = frame;
    this.#lastDrawMs = this.#now();
  }
}
