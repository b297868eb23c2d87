/**
 * The server's one root logger (pino) and the child-logger conventions. Messages are constant
 * phrases; variables go in fields. Levels: `trace` per frame, `debug` negotiation steps, `info`
 * lifecycle, `warn` a client's fault, `error` only our own bugs. SDP, ICE candidates and IP
 * addresses are never logged at `info`; tokens and secrets are redacted wherever they appear.
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogLevel } from './config.ts';

export type { Logger } from 'pino';

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
