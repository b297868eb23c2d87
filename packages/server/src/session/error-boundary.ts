/**
 * The one place where anything a handler throws becomes an `error` frame. A `ParleyError` keeps
 * its code and message; anything else is our bug: it becomes `INTERNAL` with a generic message
 * and an incident id, and the details (stack included) go to the log at `error` level only.
 */
import { randomUUID } from 'node:crypto';
import { ERRORS, type ErrorCode, ParleyError } from '@parley/protocol';
import type { Logger } from '../log.ts';

/** An error frame ready to send, and whether the connection must close after it. */
export interface ErrorReply {
  code: ErrorCode;
  fatal: boolean;
  frame: string;
}

/** Encodes an error frame. `re` echoes the request id when there was one. */
export function errorFrame(code: ErrorCode, message: string, re?: string | number): string {
  const fatal = ERRORS[code].fatal;
  const frame: Record<string, unknown> = { type: 'error', code, message };
  if (re !== undefined) frame.re = re;
  if (fatal) frame.fatal = true;
  return JSON.stringify(frame);
}

/** Turns any thrown value into an error reply, logging our own failures with an incident id. */
export function toErrorReply(err: unknown, re: string | number | undefined, log: Logger): ErrorReply {
  if (err instanceof ParleyError) {
    return { code: err.code, fatal: err.fatal, frame: errorFrame(err.code, err.message, re) };
  }
  const incident = randomUUID();
  log.error({ err, incident }, 'internal error while handling a frame');
  return {
    code: 'INTERNAL',
    fatal: false,
    frame: errorFrame('INTERNAL', `internal server error (incident ${incident})`, re),
  };
}
