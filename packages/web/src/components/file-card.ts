/**
 * A file transfer as it appears in the chat: name and size, a progress bar with speed and time
 * left, and the actions that fit the moment (accept/decline for the receiver, cancel while it
 * runs, save when done). The same card serves both directions.
 */

import { h, replaceChildren } from '../ui/dom.ts';
import { formatByteRate, formatBytes, formatDuration } from '../ui/format.ts';
import { icon } from '../ui/icons.ts';

/** Which way the file goes. */
export type Direction = 'in' | 'out';

/** What the card shows about the transfer. */
export type CardState =
  | 'offered' // receiver: waiting for the person to accept
  | 'waiting' // sender: waiting for the peer to accept
  | 'transferring'
  | 'verifying'
  | 'interrupted'
  | 'completed'
  | 'rejected'
  | 'cancelled'
  | 'failed';

/** Actions the card offers; the chat wires them to the transfer. */
export interface FileCardActions {
  accept?: () => void;
  reject?: () => void;
  cancel?: () => void;
}

/** One transfer's card. */
export class FileCard {
  readonly el: HTMLElement;
  readonly name: string;
  readonly size: number;
  readonly direction: Direction;
  readonly #progress: HTMLProgressElement;
  readonly #status: HTMLElement;
  readonly #actions: HTMLElement;
  readonly #handlers: FileCardActions;
  #state: CardState;
  #url: string | null = null;

  constructor(
    file: { name: string; size: number; peer: string },
    direction: Direction,
    handlers: FileCardActions,
  ) {
    this.name = file.name;
    this.size = file.size;
    this.direction = direction;
    this.#handlers = handlers;
    this.#state = direction === 'in' ? 'offered' : 'waiting';
    this.#progress = h('progress', { max: 1, value: 0, 'aria-label': `Progress of ${file.name}` });
    this.#status = h('p', { class: 'file-status', role: 'status', 'aria-live': 'polite' });
    this.#actions = h('div', { class: 'file-actions' });
    const sub =
      direction === 'in'
        ? `${formatBytes(file.size)} from ${file.peer}`
        : `${formatBytes(file.size)} to ${file.peer}`;
    this.el = h(
      'article',
      {
        class: 'file-card',
        'aria-label': `File ${file.name}`,
        'data-file': file.name,
        'data-direction': direction,
      },
      h(
        'div',
        { class: 'file-head' },
        h('span', { class: 'file-icon' }, icon('file')),
        h(
          'div',
          { style: 'min-width:0' },
          h('p', { class: 'file-name', title: file.name }, file.name),
          h('p', { class: 'file-sub' }, sub),
        ),
      ),
      this.#progress,
      this.#status,
      this.#actions,
    );
    this.#render();
  }

  /** Current state. */
  get state(): CardState {
    return this.#state;
  }

  /** Moves to a state; `detail` replaces the default status text. */
  setState(state: CardState, detail?: string): void {
    this.#state = state;
    this.#render(detail);
  }

  /** Shows progress: bytes done, rate (bytes/s) and time left (ms, null when unknown). */
  setProgress(bytes: number, total: number, rateBytesPerSec: number, etaMs: number | null): void {
    if (['completed', 'rejected', 'cancelled', 'failed', 'verifying'].includes(this.#state)) return;
    if (this.#state === 'offered' || this.#state === 'waiting' || this.#state === 'interrupted') {
      this.#state = 'transferring';
      this.#render();
    }
    this.#progress.value = total > 0 ? bytes / total : 1;
    if (this.#state !== 'transferring') return;
    const percent = total > 0 ? Math.floor((bytes / total) * 100) : 100;
    const rate = rateBytesPerSec > 0 ? formatByteRate(rateBytesPerSec) : '…';
    const left = etaMs === null ? '' : ` · ${formatDuration(etaMs / 1000)} left`;
    this.#status.textContent = `${percent}% · ${formatBytes(bytes)} of ${formatBytes(total)} · ${rate}${left}`;
  }

  /** Offers the received file for saving; `autoSave` starts the download right away. */
  setBlob(blob: Blob, autoSave: boolean): void {
    if (this.#url) URL.revokeObjectURL(this.#url);
    this.#url = URL.createObjectURL(blob);
    this.#render();
    if (autoSave) this.#saveLink()?.click();
  }

  #saveLink(): HTMLAnchorElement | null {
    return this.#actions.querySelector('a[download]');
  }

  #render(detail?: string): void {
    const s = this.#state;
    this.el.classList.toggle('done', s === 'completed');
    this.#status.className = `file-status${s === 'completed' ? ' ok' : s === 'failed' || s === 'cancelled' || s === 'rejected' ? ' bad' : ''}`;
    const text: Record<CardState, string> = {
      offered: 'Wants to send you this file.',
      waiting: 'Waiting for them to accept…',
      transferring: this.#status.textContent || 'Starting…',
      verifying: 'Checking the file (SHA-256)…',
      interrupted: 'Connection interrupted; it resumes when the peer is back.',
      completed: this.direction === 'in' ? 'Received and verified.' : 'Sent and verified by the receiver.',
      rejected: this.direction === 'in' ? 'You declined this file.' : 'They declined the file.',
      cancelled: 'Cancelled.',
      failed: 'The transfer failed.',
    };
    if (s !== 'transferring' || detail) this.#status.textContent = detail ?? text[s];
    if (s === 'completed') this.#progress.value = 1;
    const buttons: Node[] = [];
    const { accept, reject, cancel } = this.#handlers;
    if (s === 'offered') {
      if (accept)
        buttons.push(
          h(
            'button',
            { class: 'button primary', type: 'button', onclick: accept, 'aria-label': `Accept ${this.name}` },
            'Accept',
          ),
        );
      if (reject)
        buttons.push(
          h(
            'button',
            { class: 'button ghost', type: 'button', onclick: reject, 'aria-label': `Decline ${this.name}` },
            'Decline',
          ),
        );
    } else if (
      (s === 'waiting' || s === 'transferring' || s === 'interrupted' || s === 'verifying') &&
      cancel
    ) {
      buttons.push(
        h(
          'button',
          { class: 'button ghost', type: 'button', onclick: cancel, 'aria-label': `Cancel ${this.name}` },
          icon('cross'),
          'Cancel',
        ),
      );
    } else if (s === 'completed' && this.#url) {
      buttons.push(
        h(
          'a',
          { class: 'button', href: this.#url, download: this.name, 'aria-label': `Save ${this.name}` },
          icon('download'),
          'Save',
        ),
      );
    }
    replaceChildren(this.#actions, buttons);
    this.#actions.hidden = buttons.length === 0;
  }

  /** Releases the download URL. */
  destroy(): void {
    if (this.#url) URL.revokeObjectURL(this.#url);
  }
}
