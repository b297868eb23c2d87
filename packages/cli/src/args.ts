/**
 * Command-line parsing with `node:util` `parseArgs`: one table of options per command plus the
 * common ones, strict (an unknown option is a usage error, never ignored), and validation of
 * values against the protocol's own limits so a bad name fails here, not at the server.
 */
import { parseArgs } from 'node:util';
import { appChannelLabelProblem, LIMITS, NAME_PATTERN } from '@parley/protocol';
import { CliError } from './exit-codes.ts';

export const COMMANDS = ['send', 'receive', 'chat', 'check', 'pipe'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** The default server when neither `--server` nor `PARLEY_SERVER` is given. */
export const DEFAULT_SERVER = 'http://localhost:8080';

type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: boolean };

/** Options every command takes. */
const COMMON = {
  server: { type: 'string', short: 's' },
  name: { type: 'string', short: 'n' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  bind: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Record<string, OptionSpec>;

const PER_COMMAND = {
  send: {
    to: { type: 'string', short: 't' },
    room: { type: 'string', short: 'r' },
    password: { type: 'string' },
    timeout: { type: 'string' },
  },
  receive: {
    dir: { type: 'string', short: 'd' },
    yes: { type: 'boolean', short: 'y' },
    room: { type: 'string', short: 'r' },
    password: { type: 'string' },
    from: { type: 'string' },
    count: { type: 'string' },
    timeout: { type: 'string' },
    overwrite: { type: 'boolean' },
  },
  chat: {
    room: { type: 'string', short: 'r' },
    password: { type: 'string' },
  },
  check: {
    timeout: { type: 'string' },
  },
  pipe: {
    to: { type: 'string', short: 't' },
    from: { type: 'string' },
    room: { type: 'string', short: 'r' },
    password: { type: 'string' },
    channel: { type: 'string', short: 'c' },
    lines: { type: 'boolean' },
  },
} as const satisfies Record<CommandName, Record<string, OptionSpec>>;

/** Settings every command receives. */
export interface CommonOptions {
  /** HTTP(S) base URL of the server, e.g. `http://localhost:8080`. */
  serverUrl: string;
  /** The signaling WebSocket URL derived from it (`/ws`). */
  wsUrl: string;
  /** Our name; generated when not given. */
  name: string | undefined;
  token: string | undefined;
  json: boolean;
  /** Local address for ICE host candidates (advanced; default every interface). */
  bind: string | undefined;
  verbose: boolean;
}

export type ParsedCommand =
  | { command: 'help'; topic: CommandName | undefined }
  | { command: 'version' }
  | {
      command: 'send';
      common: CommonOptions;
      files: string[];
      to: string | undefined;
      room: string | undefined;
      password: string | undefined;
      timeoutMs: number;
    }
  | {
      command: 'receive';
      common: CommonOptions;
      dir: string;
      yes: boolean;
      room: string | undefined;
      password: string | undefined;
      from: string | undefined;
      count: number | undefined;
      timeoutMs: number | undefined;
      overwrite: boolean;
    }
  | { command: 'chat'; common: CommonOptions; room: string; password: string | undefined }
  | { command: 'check'; common: CommonOptions; timeoutMs: number }
  | {
      command: 'pipe';
      common: CommonOptions;
      to: string | undefined;
      from: string | undefined;
      room: string | undefined;
      password: string | undefined;
      /** The app channel's label (default `pipe`). */
      label: string;
      lines: boolean;
    };

/** A usage error: printed with the command's help, exit code 2. */
export function usageError(message: string): CliError {
  return new CliError('usage', 'USAGE', message);
}

function isCommand(word: string | undefined): word is CommandName {
  return word !== undefined && (COMMANDS as readonly string[]).includes(word);
}

/**
 * Parses `argv` (without `node` and the script). Throws a usage `CliError` on anything wrong;
 * `env` supplies `PARLEY_SERVER` (and is injectable for tests).
 */
export function parseCommandLine(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ParsedCommand {
  const first = argv[0];
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    const topic = first === 'help' ? argv[1] : undefined;
    if (topic !== undefined && !isCommand(topic)) throw usageError(`unknown command "${topic}"`);
    return { command: 'help', topic };
  }
  if (first === '--version' || first === 'version') return { command: 'version' };
  if (!isCommand(first)) {
    throw usageError(first.startsWith('-') ? 'the command comes first' : `unknown command "${first}"`);
  }
  const command = first;
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    const options: Record<string, OptionSpec> = { ...COMMON, ...PER_COMMAND[command] };
    parsed = parseArgs({
      args: argv.slice(1) as string[],
      options,
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    // parseArgs' messages name the option ("Unknown option '--foo'"); keep them, drop the code.
    throw usageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return { command: 'help', topic: command };
  const str = (key: string) => values[key] as string | undefined;
  const common = parseCommon(values, env);
  const positionals = parsed.positionals;
  if (command !== 'send' && positionals.length > 0) {
    throw usageError(`unexpected argument "${positionals[0]}"`);
  }

  switch (command) {
    case 'send': {
      if (positionals.length === 0) throw usageError('name at least one FILE to send');
      const to = optionalName(str('to'), '--to');
      const room = optionalRoom(str('room'));
      if ((to === undefined) === (room === undefined))
        throw usageError('give exactly one of --to NAME or --room ROOM');
      if (str('password') !== undefined && room === undefined) throw usageError('--password needs --room');
      return {
        command,
        common,
        files: positionals,
        to,
        room,
        password: optionalPassword(str('password')),
        timeoutMs: seconds(str('timeout'), '--timeout', 120) * 1000,
      };
    }
    case 'receive': {
      if (str('password') !== undefined && str('room') === undefined)
        throw usageError('--password needs --room');
      const count = str('count');
      const timeout = str('timeout');
      return {
        command,
        common,
        dir: str('dir') ?? '.',
        yes: values.yes === true,
        room: optionalRoom(str('room')),
        password: optionalPassword(str('password')),
        from: optionalName(str('from'), '--from'),
        count: count === undefined ? undefined : positiveInt(count, '--count'),
        timeoutMs: timeout === undefined ? undefined : seconds(timeout, '--timeout', 0) * 1000,
        overwrite: values.overwrite === true,
      };
    }
    case 'chat': {
      const room = optionalRoom(str('room'));
      if (room === undefined) throw usageError('chat needs --room ROOM');
      return { command, common, room, password: optionalPassword(str('password')) };
    }
    case 'check':
      return { command, common, timeoutMs: seconds(str('timeout'), '--timeout', 10) * 1000 };
    case 'pipe': {
      const to = optionalName(str('to'), '--to');
      const from = optionalName(str('from'), '--from');
      const room = optionalRoom(str('room'));
      if ([to, from, room].filter((x) => x !== undefined).length !== 1)
        throw usageError('give exactly one of --to NAME, --from NAME or --room ROOM');
      if (str('password') !== undefined && room === undefined) throw usageError('--password needs --room');
      const label = str('channel') ?? 'pipe';
      const problem = appChannelLabelProblem(label);
      if (problem) throw usageError(`--channel: ${problem}`);
      return {
        command,
        common,
        to,
        from,
        room,
        password: optionalPassword(str('password')),
        label,
        lines: values.lines === true,
      };
    }
  }
}

function parseCommon(
  values: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv,
): CommonOptions {
  const server = (values.server as string | undefined) ?? env.PARLEY_SERVER ?? DEFAULT_SERVER;
  const { serverUrl, wsUrl } = serverUrls(server);
  const token = values.token as string | undefined;
  if (token !== undefined && (token.length === 0 || token.length > LIMITS.tokenMaxChars)) {
    throw usageError(`--token must be 1–${LIMITS.tokenMaxChars} characters`);
  }
  return {
    serverUrl,
    wsUrl,
    name: optionalName(values.name as string | undefined, '--name'),
    token,
    json: values.json === true,
    bind: values.bind as string | undefined,
    verbose: values.verbose === true,
  };
}

/**
 * Accepts `http(s)://host[:port][/base]` or `ws(s)://…/ws` and returns both forms. The
 * WebSocket endpoint is `/ws` under the HTTP base, as the server serves it.
 */
export function serverUrls(input: string): { serverUrl: string; wsUrl: string } {
  let url: URL;
  try {
    url = new URL(input.includes('://') ? input : `http://${input}`);
  } catch {
    throw usageError(`--server: "${input}" is not a URL`);
  }
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw usageError(`--server: use an http(s):// or ws(s):// URL, not ${url.protocol}`);
  }
  let base = url.pathname.replace(/\/+$/, '');
  if (url.protocol.startsWith('ws') && base.endsWith('/ws')) base = base.slice(0, -3);
  const hostPart = url.host;
  return {
    serverUrl: `${secure ? 'https' : 'http'}://${hostPart}${base}`,
    wsUrl: `${secure ? 'wss' : 'ws'}://${hostPart}${base}/ws`,
  };
}

function optionalName(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.length === 0 || value.length > LIMITS.nameMaxChars || !NAME_PATTERN.test(value)) {
    throw usageError(
      `${flag}: "${value}" is not a valid name (1–${LIMITS.nameMaxChars} letters, digits, "_", "." or "-")`,
    );
  }
  return value;
}

function optionalRoom(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length === 0 || value.length > LIMITS.roomMaxChars || !NAME_PATTERN.test(value)) {
    throw usageError(
      `--room: "${value}" is not a valid room (1–${LIMITS.roomMaxChars} letters, digits, "_", "." or "-")`,
    );
  }
  return value;
}

function optionalPassword(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length === 0 || value.length > LIMITS.passwordMaxChars) {
    throw usageError(`--password must be 1–${LIMITS.passwordMaxChars} characters`);
  }
  return value;
}

function seconds(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(n) || n <= 0 || n > 86_400) {
    throw usageError(`${flag}: "${value}" is not a number of seconds (0 < s ≤ 86400)`);
  }
  return n;
}

function positiveInt(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1_000_000) {
    throw usageError(`${flag}: "${value}" is not a positive whole number`);
  }
  return Number(value);
}
