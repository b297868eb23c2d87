/**
 * The server's one root logger (pino) and the child-logger conventions. Messages are constant
 * phrases; variables go in fields. Levels: `trace` per frame, `debug` negotiation steps, `info`
 * lifecycle, `warn` a client's fault, `error` only our own bugs. SDP, ICE candidates and IP
 * addresses are never logged at `info`; tokens and secrets are redacted wherever they appear.
 *
 * May import: npm libraries only (it sits at the bottom of the server's layers).
 */
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/** The levels `PARLEY_LOG_LEVEL` accepts (pino's, plus `silent`). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Field paths whose values never reach the log output. */
const REDACT = [
  'token',
  'resume',
  'session',
  'secret',
  'credential',
  'password',
  '*.token',
  '*.resume',
  '*.session',
  '*.secret',
  '*.turnSecret',
  '*.credential',
  '*.password',
  'msg.token',
  'msg.resume',
  'msg.password',
];

/**
 * Creates the root logger. `destination` defaults to stdout; tests pass their own stream.
 * The output is one JSON object per line.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'parley' },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
