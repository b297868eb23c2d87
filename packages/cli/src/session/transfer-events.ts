/**
 * Turns one SDK transfer (either direction) into CLI events: `progress` while bytes move, then
 * `done` or `error`. Resolves with the outcome so a command can decide its exit code.
 */

import type { IncomingTransfer, OutgoingTransfer, TransferResult } from '@parley/client';
import { CliError, exitCodeFor } from '../exit-codes.ts';
import type { Direction, Reporter } from '../output/events.ts';

export interface TransferOutcome {
  result: TransferResult;
  /** Set when the transfer did not complete: what failed, for the exit code. */
  error?: CliError;
}

/** Reports `transfer` until it ends. `path` gives the saved path for `done` (receive). */
export async function reportTransfer(
  transfer: OutgoingTransfer | IncomingTransfer,
  options: {
    reporter: Reporter;
    peer: string;
    name: string;
    direction: Direction;
    path?: () => string | null;
  },
): Promise<TransferOutcome> {
  const { reporter, peer, name, direction } = options;
  const started = performance.now();
  const off = transfer.on('progress', (p) =>
    reporter.emit({
      type: 'progress',
      id: transfer.id,
      direction,
      peer,
      name,
      bytes: p.bytes,
      total: p.total,
      rateBytesPerSec: p.rateBytesPerSec,
      etaMs: p.etaMs,
    }),
  );
  const result = await transfer.finished;
  off();
  const durationMs = performance.now() - started;
  if (result.state === 'completed') {
    const size = transfer.progress.total;
    const path = options.path?.() ?? undefined;
    reporter.emit({
      type: 'done',
      id: transfer.id,
      direction,
      peer,
      name,
      bytes: size,
      sha256: result.sha256 ?? '',
      durationMs,
      rateBytesPerSec: durationMs > 0 ? (size * 1000) / durationMs : 0,
      ...(path ? { path } : {}),
    });
    return { result };
  }
  const error =
    result.state === 'rejected'
      ? new CliError('peer', 'REJECTED', `${peer} declined ${name}`)
      : new CliError(
          'transfer',
          result.error?.code ?? (result.state === 'cancelled' ? 'CANCELLED' : 'TRANSFER_FAILED'),
          `${result.state}${result.error ? ` (${result.error.code}: ${result.error.message})` : ''}`,
        );
  reporter.emit({
    type: 'error',
    code: error.code,
    kind: error.kind,
    message: error.message,
    exitCode: exitCodeFor(error),
    fatal: false,
    id: transfer.id,
    name,
  });
  return { result, error };
}
