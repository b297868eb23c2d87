/**
 * Human-readable log lines for a terminal: `npm start` in a shell shows
 * `12:03:04 INFO  session started  name=alice resumed=false` instead of pino's JSON. JSON stays
 * the format when stdout is not a terminal (a service manager, a container, a pipe) or with
 * `PARLEY_LOG_FORMAT=json`. The formatter reads the JSON pino writes (already redacted), so
 * nothing secret can reach the screen that would not reach the JSON log.
 *
 * May import: Node built-ins only (it sits beside log.ts at the bottom of the server's layers).
 */
import { format } from 'node:util';

/** What `PARLEY_LOG_FORMAT` accepts: `auto` (pretty on a terminal, else JSON), `json`, `pretty`. */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
const LEVEL_COLOURS: Record<number, string> = { 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[31m' };
/** Fields every line has, shown in the line's head or not at all. */
const HEAD_FIELDS = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);
/** A long value (an error stack) is cut here in the line; the JSON log keeps it whole. */
const MAX_VALUE_CHARS = 400;

/** Whether `format` asks for pretty lines on this stream. */
export function wantsPretty(fmt: LogFormat, stream: { isTTY?: boolean }): boolean {
  return fmt === 'pretty' || (fmt === 'auto' && stream.isTTY === true);
}

/** One pino JSON line as a readable line (the line itself, unchanged, when it is not JSON). */
export function prettyLine(json: string, colour = false): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.replace(/\n$/, '');
  }
  const level = typeof rec.level === 'number' ? rec.level : 30;
  const time = typeof rec.time === 'string' ? rec.time.slice(11, 19) : '';
  const name = LEVEL_NAMES[level] ?? String(level);
  const tint = colour ? (LEVEL_COLOURS[level] ?? '') : '';
  const reset = tint ? '\x1b[0m' : '';
  const fields: string[] = [];
  for (const [key, value] of Object.entries(rec)) {
    if (HEAD_FIELDS.has(key) || value === undefined) continue;
    fields.push(`${key}=${show(value)}`);
  }
  const msg = typeof rec.msg === 'string' ? rec.msg : '';
  return `${time} ${tint}${name}${reset} ${msg}${fields.length ? `  ${fields.join(' ')}` : ''}`;
}

function show(value: unknown): string {
  let s: string;
  if (typeof value === 'string') s = /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  else if (value !== null && typeof value === 'object' && 'message' in value && 'type' in value)
    s = JSON.stringify(`${(value as { type: unknown }).type}: ${(value as { message: unknown }).message}`);
  else s = format('%j', value);
  return s.length > MAX_VALUE_CHARS ? `${s.slice(0, MAX_VALUE_CHARS)}…` : s;
}

/** A pino destination that writes readable lines to `out` (a terminal). */
export function prettyDestination(out: NodeJS.WritableStream & { isTTY?: boolean }): {
  write(chunk: string): boolean;
} {
  const colour = out.isTTY === true && !process.env.NO_COLOR;
  return {
    write(chunk: string): boolean {
      for (const line of chunk.split('\n')) if (line) out.write(`${prettyLine(line, colour)}\n`);
      return true;
    },
  };
}
