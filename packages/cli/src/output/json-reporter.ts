/** `--json`: every event as one JSON line on stdout, with a millisecond timestamp `ts`. */
import type { CliEvent, Reporter } from './events.ts';

export class JsonReporter implements Reporter {
  readonly #out: { write(text: string): unknown };
  readonly #now: () => number;
  constructor(out: { write(text: string): unknown }, now: () => number = Date.now) {
    this.#out = out;
    this.#now = now;
  }
  emit(event: CliEvent): void {
    this.#out.write(`${JSON.stringify({ ...event, ts: this.#now() })}\n`);
  }
  close(): void {}
}
