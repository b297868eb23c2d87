/**
 * Everything a command reports, as one union. `--json` prints each event as one JSON line on
 * stdout (the format documented in docs/CLI.md); otherwise the human reporter renders it.
 */

/** Which way a file goes. */
export type Direction = 'send' | 'receive';

export type CliEvent =
  /** Something happened that a person may want to know (connected, waiting, joined). */
  | { type: 'status'; event: string; message: string; [field: string]: unknown }
  /** A peer offers a file (receive). */
  | { type: 'offer'; id: string; from: string; name: string; size: number; accepted: boolean }
  /** Bytes moved. Throttled by the SDK (5 per second) and again by the terminal renderer. */
  | {
      type: 'progress';
      id: string;
      direction: Direction;
      peer: string;
      name: string;
      bytes: number;
      total: number;
      rateBytesPerSec: number;
      etaMs: number | null;
    }
  /** A file is across and its SHA-256 matched. `path` is where it was saved (receive). */
  | {
      type: 'done';
      id: string;
      direction: Direction;
      peer: string;
      name: string;
      bytes: number;
      sha256: string;
      durationMs: number;
      rateBytesPerSec: number;
      path?: string;
    }
  /** A chat message in a room. */
  | { type: 'message'; room: string; from: string; text: string }
  /** A room member arrived or left (chat). */
  | { type: 'peer'; room: string; name: string; present: boolean }
  /** One `parley check` step. */
  | { type: 'check'; check: string; ok: boolean; skipped?: boolean; detail: string; durationMs: number }
  /**
   * A failure. `kind` names the layer (see exit-codes.ts) and `exitCode` what the process will
   * return if the failure is fatal; `id`/`name` are set when a single transfer failed.
   */
  | {
      type: 'error';
      code: string;
      kind: string;
      message: string;
      exitCode: number;
      fatal: boolean;
      id?: string;
      name?: string;
    };

/** Where commands send their events. */
export interface Reporter {
  emit(event: CliEvent): void;
  /** Flushes and stops anything live (progress bars). */
  close(): void;
}
