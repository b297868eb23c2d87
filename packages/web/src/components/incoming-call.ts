/**
 * The incoming call: a modal with the caller's name, Accept and Decline, and a ring made with
 * WebAudio. Escape does not dismiss it (a call must be answered or declined). It closes by itself
 * when the caller cancels or nobody answers in time.
 */
import type { Call, CallEndedReason } from '@parley/client';
import { RingTitle } from '../app/attention.ts';
import { playRingtone } from '../media/audio.ts';
import { announce } from '../ui/announce.ts';
import { avatar, openDialog } from '../ui/common.ts';
import { h } from '../ui/dom.ts';
import { icon } from '../ui/icons.ts';

/** What happens with the answer. */
export interface IncomingHandlers {
  accept(): void;
  decline(): void;
  /** The call ended before an answer (cancelled, no answer…). */
  missed(reason: CallEndedReason): void;
}

/** Shows the ring for `call` until it is answered, declined or over. */
export function openIncomingCall(call: Call, handlers: IncomingHandlers): void {
  const ring = playRingtone();
  let answered = false;
  // In a hidden tab the title flashes (app/attention.ts) until the ring is over or the tab shows.
  const title = new RingTitle(document, window, call.remote);
  const onVisibility = () => title.update();
  document.addEventListener('visibilitychange', onVisibility);
  // Run at once when the ring is over: a dialog's `close` event comes a task later (or, in some
  // background tabs, not before the tab shows).
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    ring.stop();
    document.removeEventListener('visibilitychange', onVisibility);
    title.end();
  };
  const accept = h(
    'button',
    {
      class: 'button success',
      type: 'button',
      onclick: () => {
        answered = true;
        finish();
        dialog.close();
        handlers.accept();
      },
    },
    icon('phone'),
    'Accept',
  );
  const decline = h(
    'button',
    {
      class: 'button danger',
      type: 'button',
      onclick: () => {
        answered = true;
        finish();
        dialog.close();
        handlers.decline();
      },
    },
    icon('hangup'),
    'Decline',
  );
  const dialog = openDialog({
    label: `Incoming ${call.encryptionRequested ? 'encrypted ' : ''}call from ${call.remote}`,
    className: 'ring',
    dismissable: false,
    onClose: finish,
    body: [
      h(
        'p',
        { class: 'muted small' },
        call.encryptionRequested ? 'Incoming end-to-end encrypted video call' : 'Incoming video call',
      ),
      avatar(call.remote, 'large'),
      h('h2', null, call.remote),
      h('p', { class: 'muted' }, 'is calling you'),
      h('div', { class: 'dialog-actions' }, decline, accept),
    ],
  });
  announce(`Incoming call from ${call.remote}`, 'assertive');
  accept.focus();
  const off = call.on('ended', (reason) => {
    off();
    if (answered) return;
    finish();
    dialog.close();
    handlers.missed(reason);
  });
}
