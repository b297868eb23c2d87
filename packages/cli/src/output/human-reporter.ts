/**
 * Output for people. Status, progress and errors go to stderr; results (saved files, chat
 * messages) to stdout, so `parley receive > saved.txt` or a pipe gets only results. On a terminal
 * progress is a live bar (see progress-renderer.ts); elsewhere a plain line at most every few
 * seconds, so logs stay readable.
 */
import type { CliEvent, Reporter } from './events.ts';
import { formatBytes, formatDuration, formatPlainProgress, formatRate } from './format.ts';
import { ProgressRenderer, type TerminalStream } from './progress-renderer.ts';

/** Period of plain (non-TTY) progress lines per transfer. */
export const PLAIN_PROGRESS_INTERVAL_MS = 5000;

export interface HumanStreams {
  stdout: TerminalStream & { isTTY?: boolean };
  stderr: TerminalStream & { isTTY?: boolean };
}

export class HumanReporter implements Reporter {
  readonly #streams: HumanStreams;
  readonly #renderer: ProgressRenderer | undefined;
  readonly #now: () => number;
  readonly #lastPlain = new Map<string, number>();

  constructor(streams: HumanStreams, options: { now?: () => number; redrawMs?: number } = {}) {
    this.#streams = streams;
    this.#now = options.now ?? (() => performance.now());
    this.#renderer = streams.stderr.isTTY
      ? new ProgressRenderer(streams.stderr, {
          now: this.#now,
          ...(options.redrawMs === undefined ? {} : { intervalMs: options.redrawMs }),
        })
      : undefined;
  }

  emit(event: CliEvent): void {
    switch (event.type) {
      case 'status':
        this.#info(event.message);
        return;
      case 'offer':
        this.#info(
          `${event.from} offers ${event.name} (${formatBytes(event.size)}) — ${event.accepted ? 'accepted' : 'declined'}`,
        );
        return;
      case 'progress': {
        const view = {
          label: `${event.direction === 'send' ? '→' : '←'} ${event.name}`,
          bytes: event.bytes,
          total: event.total,
          rateBytesPerSec: event.rateBytesPerSec,
          etaMs: event.etaMs,
        };
        if (this.#renderer) {
          this.#renderer.update(event.id, view);
          return;
        }
        const now = this.#now();
        const last = this.#lastPlain.get(event.id);
        if (last !== undefined && now - last < PLAIN_PROGRESS_INTERVAL_MS) return;
        this.#lastPlain.set(event.id, now);
        this.#streams.stderr.write(`${formatPlainProgress(view)}\n`);
        return;
      }
      case 'done': {
        this.#lastPlain.delete(event.id);
        const what =
          event.direction === 'send'
            ? `sent ${event.name} to ${event.peer}`
            : `received ${event.name} from ${event.peer}${event.path ? ` → ${event.path}` : ''}`;
        const line =
          `${what} (${formatBytes(event.bytes)} in ${formatDuration(event.durationMs)}, ` +
          `${formatRate(event.rateBytesPerSec)}, sha256 ${event.sha256.slice(0, 16)}…)`;
        if (this.#renderer) this.#renderer.finish(event.id);
        this.#result(line);
        return;
      }
      case 'message':
        this.#result(`${event.from}: ${event.text}`);
        return;
      case 'peer':
        this.#info(`${event.name} ${event.present ? 'joined' : 'left'} ${event.room}`);
        return;
      case 'check': {
        const mark = event.skipped ? 'skip' : event.ok ? ' ok ' : 'FAIL';
        this.#result(
          `[${mark}] ${event.check.padEnd(10)} ${event.detail} (${Math.round(event.durationMs)} ms)`,
        );
        return;
      }
      case 'error': {
        if (event.id) this.#renderer?.finish(event.id);
        this.#info(`error: ${event.name ? `${event.name}: ` : ''}${event.message}`);
        return;
      }
    }
  }

  close(): void {
    this.#renderer?.stop();
  }

  #info(line: string): void {
    if (this.#renderer) this.#renderer.print(line);
    else this.#streams.stderr.write(`${line}\n`);
  }

  /** A result line: stdout, unless both streams are the same terminal and bars are live. */
  #result(line: string): void {
    if (this.#renderer && this.#streams.stdout.isTTY) this.#renderer.print(line);
    else this.#streams.stdout.write(`${line}\n`);
  }
}
