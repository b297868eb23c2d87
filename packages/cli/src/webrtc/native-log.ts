/**
 * libdatachannel's own log (ICE, DTLS, SCTP), off by default. `--verbose` turns it on at
 * `Warning`; `PARLEY_NATIVE_LOG=Debug` (or `Info`, `Verbose`…) shows more when chasing a bug.
 */
import nodeDataChannel, { type LogLevel } from 'node-datachannel';

const LEVELS: readonly LogLevel[] = ['Verbose', 'Debug', 'Info', 'Warning', 'Error', 'Fatal'];

/** True when `value` names a libdatachannel log level. */
export function isNativeLogLevel(value: string | undefined): value is LogLevel {
  return value !== undefined && (LEVELS as readonly string[]).includes(value);
}

/** Sends libdatachannel's log lines at `level` and above to `write`. Process-wide; call once. */
export function enableNativeLog(level: LogLevel, write: (line: string) => void): void {
  nodeDataChannel.initLogger(level, (lvl, message) => write(`[native ${lvl}] ${message}\n`));
}
