/**
 * The `parley` command: parses the command line, picks the reporter, runs one command and turns
 * its outcome into an exit code (exit-codes.ts). Command modules are loaded on demand so that
 * `--help` and usage errors answer instantly, without loading the WebRTC stack.
 */
import { readFileSync } from 'node:fs';
import { type ParsedCommand, parseCommandLine } from './args.ts';
import type { CliIo, CommandContext } from './context.ts';
import { CliError, EXIT, type ExitCode, exitCodeFor, failureKindOf } from './exit-codes.ts';
import { helpText } from './help.ts';
import type { Reporter } from './output/events.ts';
import { HumanReporter } from './output/human-reporter.ts';
import { JsonReporter } from './output/json-reporter.ts';

export type { CliIo, CommandContext } from './context.ts';

/**
 * Runs `parley` with `argv` (without `node` and the script) and resolves with the exit code.
 * With no `io`, uses the process's streams and installs SIGINT/SIGTERM handlers.
 */
export async function run(argv: readonly string[], io?: CliIo): Promise<ExitCode> {
  const teardown: Array<() => void> = [];
  if (!io) {
    const controller = new AbortController();
    let interrupts = 0;
    const onSignal = () => {
      interrupts++;
      // The first Ctrl-C closes cleanly (transfers are cancelled, peers told); a second one quits.
      if (interrupts > 1) process.exit(EXIT.INTERRUPTED);
      controller.abort(new CliError('interrupted', 'INTERRUPTED', 'interrupted'));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    teardown.push(() => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    });
    io = {
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
      signal: controller.signal,
    };
  }
  try {
    return await runWith(argv, io);
  } finally {
    for (const t of teardown) t();
  }
}

async function runWith(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let parsed: ParsedCommand;
  try {
    parsed = parseCommandLine(argv, io.env);
  } catch (err) {
    if (failureKindOf(err) !== 'usage') throw err;
    const wantsJson = argv.includes('--json');
    const topic =
      argv[0] === 'send' ||
      argv[0] === 'receive' ||
      argv[0] === 'chat' ||
      argv[0] === 'check' ||
      argv[0] === 'pipe';
    if (wantsJson) {
      new JsonReporter(io.stdout).emit(errorEvent(err, true));
    } else {
      io.stderr.write(
        `parley: ${(err as Error).message}\n\n${helpText(topic ? (argv[0] as 'send') : undefined)}\n`,
      );
    }
    return EXIT.USAGE;
  }
  if (parsed.command === 'help') {
    io.stdout.write(`${helpText(parsed.topic)}\n`);
    return EXIT.OK;
  }
  if (parsed.command === 'version') {
    io.stdout.write(`${version()}\n`);
    return EXIT.OK;
  }
  const reporter: Reporter = parsed.common.json
    ? new JsonReporter(io.stdout)
    : new HumanReporter({ stdout: io.stdout, stderr: io.stderr });
  const context: CommandContext = { common: parsed.common, reporter, io, signal: io.signal };
  try {
    await dispatch(parsed, context);
    return EXIT.OK;
  } catch (err) {
    const interrupted = io.signal.aborted && failureKindOf(io.signal.reason) === 'interrupted';
    const error = interrupted ? io.signal.reason : err;
    reporter.emit(errorEvent(error, true));
    if (parsed.common.verbose && !(error instanceof CliError) && error instanceof Error && error.stack) {
      io.stderr.write(`${error.stack}\n`);
    }
    return exitCodeFor(error);
  } finally {
    reporter.close();
  }
}

async function dispatch(
  parsed: Exclude<ParsedCommand, { command: 'help' | 'version' }>,
  ctx: CommandContext,
) {
  switch (parsed.command) {
    case 'send':
      return (await import('./commands/send.ts')).runSend(parsed, ctx);
    case 'receive':
      return (await import('./commands/receive.ts')).runReceive(parsed, ctx);
    case 'chat':
      return (await import('./commands/chat.ts')).runChat(parsed, ctx);
    case 'check':
      return (await import('./commands/check.ts')).runCheck(parsed, ctx);
    case 'pipe':
      return (await import('./commands/pipe.ts')).runPipe(parsed, ctx);
  }
}

/** The `error` event for any thrown value. */
export function errorEvent(error: unknown, fatal: boolean) {
  const kind = failureKindOf(error);
  const code =
    error instanceof CliError
      ? error.code
      : typeof (error as { code?: unknown })?.code === 'string'
        ? (error as { code: string }).code
        : 'INTERNAL';
  const message = error instanceof Error ? error.message : String(error);
  return { type: 'error' as const, code, kind, message, exitCode: exitCodeFor(error), fatal };
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return `parley ${pkg.version} (node ${process.versions.node})`;
}
