/**
 * File cards bound to the SDK's transfers: a card for a file we send or one offered to us, kept
 * in step with the transfer's progress and state (and, once received, holding the file).
 *
 * A component: may import ui/ and other components.
 */
import type { IncomingTransfer, OutgoingTransfer, TransferState } from '@parley/client';
import { announce } from '../ui/announce.ts';
import { type CardState, FileCard } from './file-card.ts';

/** A card for `file`, being sent to `peer` by `transfer`. */
export function outgoingCard(file: File, peer: string, transfer: OutgoingTransfer): FileCard {
  const card = new FileCard({ name: file.name, size: file.size, peer }, 'out', {
    cancel: () => transfer.cancel(),
  });
  followTransfer(card, transfer);
  return card;
}

/** A card for a file `peer` offers us: accept, reject, cancel, then save. */
export function incomingCard(incoming: IncomingTransfer, peer: string): FileCard {
  const card = new FileCard({ name: incoming.name, size: incoming.size, peer }, 'in', {
    accept: () => incoming.accept(),
    reject: () => incoming.reject(),
    cancel: () => incoming.cancel(),
  });
  followTransfer(card, incoming);
  void incoming.finished.then((result) => {
    if (result.state === 'completed' && incoming.blob) card.setBlob(incoming.blob, true);
  });
  return card;
}

function followTransfer(card: FileCard, transfer: IncomingTransfer | OutgoingTransfer): void {
  transfer.on('progress', (p) => card.setProgress(p.bytes, p.total, p.rateBytesPerSec, p.etaMs));
  transfer.on('state', (state, error) => {
    const map: Record<TransferState, CardState> = {
      pending: card.direction === 'in' ? 'offered' : 'waiting',
      transferring: 'transferring',
      verifying: 'verifying',
      interrupted: 'interrupted',
      completed: 'completed',
      cancelled: 'cancelled',
      rejected: 'rejected',
      failed: 'failed',
    };
    const next = map[state];
    let detail: string | undefined;
    if (next === 'cancelled') detail = error?.remote ? 'Cancelled by the other side.' : 'Cancelled.';
    if (next === 'failed' && error) detail = `Failed: ${error.message}`;
    card.setState(next, detail);
    if (next === 'completed') announce(`${card.name} ${card.direction === 'in' ? 'received' : 'sent'}`);
  });
}
