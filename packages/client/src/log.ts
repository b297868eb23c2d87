/**
 * Named loggers per layer (`parley:signaling`, `parley:peer`, `parley:media`, `parley:client`),
 * quiet by default. The app picks a level and, if it wants, a sink; every call is a constant
 * message plus a context object, so logs can be filtered and shipped as structured data.
 * SDP and ICE candidates (they carry IP addresses) are only ever logged at `trace`.
 */

/** Log levels from most to least verbose; `silent` turns a logger off. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where log records go. The default writes to `console` with the logger name as a prefix. */
export type LogSink = (level: Exclude<LogLevel, 'silent'>, logger: string, msg: string, ctx?: object) => void;

/** The logging part of the client options. */
export interface LoggerOptions {
  /** Least severe level that is emitted. Default `silent`. */
  level?: LogLevel;
  /** Receives records at or above `level`. Default: `console`. */
  sink?: LogSink;
}

/** A named logger. */
export interface Logger {
  readonly name: string;
  trace(msg: string, ctx?: object): void;
  debug(msg: string, ctx?: object): void;
  info(msg: string, ctx?: object): void;
  warn(msg: string, ctx?: object): void;
  error(msg: string, ctx?: object): void;
}

/** Names of the SDK's loggers, one per layer. */
export const LOGGER_NAMES = {
  client: 'parley:client',
  signaling: 'parley:signaling',
  peer: 'parley:peer',
  media: 'parley:media',
  room: 'parley:room',
  call: 'parley:call',
} as const;

const consoleSink: LogSink = (level, logger, msg, ctx) => {
  const fn = level === 'trace' || level === 'debug' ? console.debug : console[level];
  if (ctx === undefined) fn(`[${logger}] ${msg}`);
  else fn(`[${logger}] ${msg}`, ctx);
};

/** Creates a factory of named loggers sharing one level and sink. */
export function createLoggerFactory(options: LoggerOptions = {}): (name: string) => Logger {
  const min = LOG_LEVELS.indexOf(options.level ?? 'silent');
  const sink = options.sink ?? consoleSink;
  return (name) => {
    const at =
      (level: Exclude<LogLevel, 'silent'>) =>
      (msg: string, ctx?: object): void => {
        if (LOG_LEVELS.indexOf(level) < min) return;
        try {
          sink(level, name, msg, ctx);
        } catch {
          // A broken sink must never break the SDK.
        }
      };
    return {
      name,
      trace: at('trace'),
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
    };
  };
}

/** A logger that drops everything (the default for objects built without a factory). */
export const silentLogger: Logger = createLoggerFactory({ level: 'silent' })('parley');
