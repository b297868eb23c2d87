/**
 * The one place where anything a handler throws becomes an `error` frame. A `ParleyError` keeps
 * its code and message. A failure that only client data can cause (a stack overflow, or
 * `JSON.stringify`/`JSON.parse` refusing a value) is the client's fault: `BAD_MESSAGE`, logged at
 * `warn` without a stack. Anything else is our bug: it becomes `INTERNAL` with a generic message
 * and an incident id, and the details (stack included) go to the log at `error` level.
 *
 * Both kinds of log line are rate-limited per node (`LogBudget`): a client that found a way to
 * make frames fail must not be able to flood the log with them. Past the budget a window's lines
 * are counted instead, and one summary line says how many were left out.
 *
 * It lives with the connection handler, its one caller; the transport builds its own error frames
 * with wire/frames.ts and never needs it. May import: the foundation (log, wire).
 */
import { randomUUID } from 'node:crypto';
import { type ErrorCode, ParleyError } from '@parley/protocol';
import type { Logger } from '../log.ts';
import { errorFrame, type Frame } from '../wire/frames.ts';

/** An error frame ready to send, and whether the connection must close after it. */
export interface ErrorReply {
  code: ErrorCode;
  fatal: boolean;
  frame: Frame<'error'>;
}

/**
 * At most `perWindow` log lines per `windowMs`; the rest are counted, and when the window that
 * dropped some is over, one summary line (`summarise`) reports how many. Fixed windows: cheap,
 * and a burst costs at most two budgets' worth of lines across a window boundary.
 */
export class LogBudget {
  readonly perWindow: number;
  readonly windowMs: number;
  readonly #now: () => number;
  #windowStart = Number.NEGATIVE_INFINITY;
  #used = 0;
  #suppressed = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(perWindow: number, windowMs: number, now: () => number = Date.now) {
    this.perWindow = perWindow;
    this.windowMs = windowMs;
    this.#now = now;
  }

  /** Lines suppressed in the current window so far (reported when it ends). */
  get suppressed(): number {
    return this.#suppressed;
  }

  /**
   * True when a line may be written now. When not, the line is counted, and `summarise(count)`
   * runs once after the window ends (on a timer that does not keep the process alive).
   */
  take(summarise: (suppressed: number) => void): boolean {
    const now = this.#now();
    if (now - this.#windowStart >= this.windowMs) this.#roll(now);
    if (this.#used < this.perWindow) {
      this.#used++;
      return true;
    }
    this.#suppressed++;
    if (!this.#timer) {
      const left = Math.max(0, this.#windowStart + this.windowMs - now);
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#flush(summarise);
      }, left);
      this.#timer.unref();
    }
    return false;
  }

  #roll(now: number): void {
    this.#windowStart = now;
    this.#used = 0;
  }

  #flush(summarise: (suppressed: number) => void): void {
    const n = this.#suppressed;
    this.#suppressed = 0;
    if (n > 0) summarise(n);
  }
}

/** Error-level lines (with stacks) for our own failures: at most 10 a minute per node. */
export const internalErrorBudget = new LogBudget(10, 60_000);
/** Warn-level lines for frames that failed on client data: at most 10 a minute per node. */
export const clientFaultBudget = new LogBudget(10, 60_000);

/**
 * True for failures only hostile client data can cause: the stack overflowing (data nested
 * thousands deep, which the codec's depth limit now refuses first), a string too long to build,
 * or JSON itself refusing a value (the top stack frame is `JSON.stringify` or `JSON.parse`).
 * Other `TypeError`s are our bugs and stay `INTERNAL`.
 */
export function isClientDataFault(err: unknown): boolean {
  if (err instanceof RangeError) {
    return /^(Maximum call stack size exceeded|Invalid string length)/.test(err.message);
  }
  if (err instanceof TypeError) {
    const top = err.stack?.split('\n').find((line) => line.trimStart().startsWith('at '));
    return top !== undefined && /^\s*at JSON\.(stringify|parse) /.test(top);
  }
  return false;
}

/**
 * Turns any thrown value into an error reply, logging our own failures with an incident id
 * (within `internalErrorBudget`) and client-data faults at `warn` (within `clientFaultBudget`).
 */
export function toErrorReply(
  err: unknown,
  re: string | number | undefined,
  log: Logger,
  budgets: { internal: LogBudget; client: LogBudget } = {
    internal: internalErrorBudget,
    client: clientFaultBudget,
  },
): ErrorReply {
  if (err instanceof ParleyError) {
    return { code: err.code, fatal: err.fatal, frame: errorFrame(err.code, err.message, re, err.reason) };
  }
  if (isClientDataFault(err)) {
    const summarise = (suppressed: number) =>
      log.warn({ suppressed }, 'frames refused for data the server could not handle (not logged one by one)');
    if (budgets.client.take(summarise)) {
      log.warn({ reason: (err as Error).name }, 'frame refused: data the server could not handle');
    }
    return {
      code: 'BAD_MESSAGE',
      fatal: false,
      frame: errorFrame(
        'BAD_MESSAGE',
        'the frame holds data the server cannot handle (too deep or too large)',
        re,
      ),
    };
  }
  const incident = randomUUID();
  const summarise = (suppressed: number) =>
    log.error({ suppressed }, 'internal errors not logged one by one (log budget spent)');
  if (budgets.internal.take(summarise)) {
    log.error({ err, incident }, 'internal error while handling a frame');
  }
  return {
    code: 'INTERNAL',
    fatal: false,
    frame: errorFrame('INTERNAL', `internal server error (incident ${incident})`, re),
  };
}
