/** What a command runs with: its options, where to report, the process streams, and Ctrl-C. */
import type { CommonOptions } from './args.ts';
import type { Reporter } from './output/events.ts';

/** The process streams and environment a run uses; injectable so tests run commands in-process. */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM; the reason is an `interrupted` CliError. */
  signal: AbortSignal;
}

/** What every command gets. */
export interface CommandContext {
  readonly common: CommonOptions;
  readonly reporter: Reporter;
  readonly io: CliIo;
  readonly signal: AbortSignal;
}
