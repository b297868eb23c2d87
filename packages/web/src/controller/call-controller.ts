/**
 * A direct call on screen: builds the call screen for a {@link CallSession} (dialling out or
 * answering), plays the ring-back while it rings, and renders the session's phases. Why a call
 * ended, in words, comes from the session (app/call-session.ts); the app shows it and goes home.
 * Loaded on demand with the call screen (app/lazy-part.ts); the incoming ring is incoming-ring.ts.
 *
 * The controller layer: may import app/, components/, screens/, media/ and ui/.
 */
import type { Call, ParleyClient, PeerLink, PeerSession } from '@parley/client';
import { CallSession, type CallTone } from '../app/call-session.ts';
import { type SavedCall, saveCall } from '../app/conversation-store.ts';
import type { SelfPreview } from '../components/self-preview.ts';
import { playRingback, type Tone } from '../media/audio.ts';
import { CallScreen } from '../screens/call-screen.ts';
import { announce } from '../ui/announce.ts';
import { h } from '../ui/dom.ts';
import { icon } from '../ui/icons.ts';

/** A call being placed, answered or in progress, as the app holds it. */
export interface CallConversation {
  readonly kind: 'call';
  readonly remote: string;
  readonly session: CallSession;
  readonly screen: CallScreen;
  readonly stream: MediaStream | null;
  /** The ring-back tone while our call rings at the other end. */
  ringback: Tone | null;
}

/** What a call needs from the app. */
export interface CallHost {
  readonly root: HTMLElement;
  readonly client: ParleyClient;
  readonly preview: SelfPreview;
  /** The top bar with `title`. */
  header(title: Node): HTMLElement;
  linkOf(peer: PeerSession): PeerLink | undefined;
  /** Makes `conv` the app's conversation. */
  adopt(conv: CallConversation): void;
  /** `conv` is over: the app tears it down, shows `text` and routes on. */
  finish(conv: CallConversation, text: string, tone: CallTone): void;
}

/** Builds the screen and session of a call with `remote`, bound together. */
function openCall(host: CallHost, remote: string, stream: MediaStream | null, ringback: Tone | null) {
  const session = new CallSession(host.client.name, remote);
  const screen = new CallScreen(host.root, {
    kind: 'call',
    selfName: host.client.name,
    title: remote,
    header: host.header(h('h1', null, `Call with ${remote}`)),
    onLeave: () => void session.hangup(),
  });
  const conv: CallConversation = { kind: 'call', remote, session, screen, stream, ringback };
  host.adopt(conv);
  session.on('bound', (call) => {
    // Kept for this tab, so a reload takes the call up again (app/conversation-store.ts).
    if (call.state !== 'ended') saveCall({ id: call.id, remote, direction: call.direction });
    if (!call.media) return;
    screen.setMedia(call.media);
    if (stream) {
      call.media.setMuted('audio', !host.preview.audioOn);
      call.media.setMuted('video', !host.preview.videoOn);
    }
  });
  session.on('peer', (peer) => {
    const link = host.linkOf(peer);
    if (link) screen.addPeer(link);
  });
  session.on('phase', (phase) => {
    switch (phase.phase) {
      case 'connecting':
        conv.ringback?.stop();
        conv.ringback = null;
        screen.setWaiting({ name: remote, title: 'Connecting…', detail: phase.detail });
        document.title = `Call with ${remote} · Parley`;
        break;
      case 'connected':
        screen.setWaiting(null);
        screen.startTimer();
        announce(`Connected with ${remote}`);
        screen.clearBanner('call-reconnecting');
        break;
      case 'reconnecting':
        screen.showBanner(
          'call-reconnecting',
          phase.held
            ? `${remote} left the page (a reload?); waiting a few seconds for them to come back…`
            : `The connection to ${remote} dropped; reconnecting…`,
          'warn',
        );
        break;
      case 'ended':
        saveCall(null);
        host.finish(conv, phase.text, phase.tone);
        break;
    }
  });
  return conv;
}

/** Calls `remote` with `stream` (from the preview): the screen rings until they answer. */
export async function startCall(host: CallHost, remote: string, stream: MediaStream | null): Promise<void> {
  const conv = openCall(host, remote, stream, playRingback());
  document.title = `Calling ${remote} · Parley`;
  const cancel = h(
    'button',
    { class: 'button danger', type: 'button', onclick: () => void conv.session.hangup() },
    icon('hangup'),
    'Cancel',
  );
  conv.screen.setWaiting({
    name: remote,
    title: `Calling ${remote}…`,
    detail: 'Waiting for them to answer.',
    actions: [cancel],
  });
  await conv.session.dial(host.client, stream ? { stream } : { media: false });
}

/** Takes up the call a previous page of this tab was in (see app/conversation-store.ts). */
export async function rejoinCall(
  host: CallHost,
  saved: SavedCall,
  stream: MediaStream | null,
): Promise<void> {
  const conv = openCall(host, saved.remote, stream, null);
  document.title = `Call with ${saved.remote} · Parley`;
  await conv.session.rejoin(host.client, saved, stream ? { stream } : { media: false });
}

/** Answers `call` with `stream` (from the preview). */
export async function answerCall(host: CallHost, call: Call, stream: MediaStream | null): Promise<void> {
  const conv = openCall(host, call.remote, stream, null);
  document.title = `Call with ${call.remote} · Parley`;
  await conv.session.answer(call, stream ? { stream } : { media: false });
}
