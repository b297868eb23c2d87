/**
 * A direct call on screen: builds the call screen for a {@link CallSession} (dialling out or
 * answering), plays the ring-back while it rings, and renders the session's phases. Why a call
 * ended, in words, comes from the session (app/call-session.ts); the app shows it and goes home.
 * Loaded on demand with the call screen (app/lazy-part.ts); the incoming ring is incoming-ring.ts.
 *
 * The controller layer: may import app/, components/, screens/, media/ and ui/.
 */
import type { Call, E2eeSetup, ParleyClient, PeerLink, PeerSession } from '@parley/client';
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
  header(title: Node, ...extra: Node[]): HTMLElement;
  linkOf(peer: PeerSession): PeerLink | undefined;
  /** Makes `conv` the app's conversation. */
  adopt(conv: CallConversation): void;
  /** `conv` is over: the app tears it down, shows `text` and routes on. */
  finish(conv: CallConversation, text: string, tone: CallTone): void;
}

/** Builds the screen and session of a call with `remote`, bound together. */
function openCall(
  host: CallHost,
  remote: string,
  stream: MediaStream | null,
  ringback: Tone | null,
  chip?: HTMLElement,
) {
  const session = new CallSession(host.client.name, remote);
  const screen = new CallScreen(host.root, {
    kind: 'call',
    selfName: host.client.name,
    title: remote,
    header: host.header(h('h1', null, `Call with ${remote}`), ...(chip ? [chip] : [])),
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

/**
 * An encrypted call's E2EE (keys agreed in the call), its chip in the top bar and what the screen
 * says about it; `undefined` when this browser cannot do it (`why`).
 */
async function encryptedCall(
  remote: string,
): Promise<
  { setup: E2eeSetup; chip: HTMLElement; watch(screen: CallScreen, call: Call): void } | { why: string }
> {
  const words = await import('../app/e2ee-setup.ts');
  const prepared = words.prepareCallE2ee();
  if (!prepared.ok) return { why: prepared.why };
  const label = h('span', null, 'Encrypted · agreeing keys…');
  const chip = h(
    'span',
    {
      class: 'chip plain e2ee-chip',
      tabindex: 0,
      role: 'status',
      'aria-label': 'End-to-end encrypted call: agreeing keys with the other side',
    },
    icon('shield'),
    label,
  );
  return {
    setup: prepared.setup,
    chip,
    watch(screen, call) {
      const keys = call.e2ee;
      if (!keys) return;
      const showCode = (code: string): void => {
        label.textContent = `Encrypted · ${code}`;
        chip.title = words.callSafetyCodeText(remote, code);
        chip.setAttribute('aria-label', words.callSafetyCodeText(remote, code));
        announce(`End-to-end encrypted. Safety code: ${code}`);
      };
      // The keys may be agreed before the screen follows the call.
      if (keys.safetyCode) showCode(keys.safetyCode);
      keys.on('key', (_epoch, code) => showCode(code));
      keys.on('member-state', (_who, state) => {
        if (state === 'failing') screen.showBanner('e2ee', words.callCannotDecryptText(remote), 'warn');
        else screen.clearBanner('e2ee');
      });
      keys.on('error', (message) =>
        screen.showBanner('e2ee', `Encryption is not working: ${message}. Hang up and call again.`, 'warn'),
      );
    },
  };
}

/** Calls `remote` with `stream` (from the preview): the screen rings until they answer. */
export async function startCall(
  host: CallHost,
  remote: string,
  stream: MediaStream | null,
  encrypted = false,
): Promise<void> {
  const e2ee = encrypted ? await encryptedCall(remote) : undefined;
  const conv = openCall(host, remote, stream, playRingback(), e2ee && 'chip' in e2ee ? e2ee.chip : undefined);
  if (e2ee && 'why' in e2ee) {
    conv.session.close();
    host.finish(conv, `This browser cannot make an end-to-end encrypted call: ${e2ee.why}.`, 'warning');
    return;
  }
  if (e2ee) conv.session.on('bound', (call) => e2ee.watch(conv.screen, call));
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
  await conv.session.dial(host.client, {
    ...(stream ? { stream } : { media: false }),
    ...(e2ee ? { e2ee: e2ee.setup } : {}),
  });
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
  // The caller asked for an encrypted call: answer encrypted, or say why this browser cannot.
  const e2ee = call.encryptionRequested ? await encryptedCall(call.remote) : undefined;
  const conv = openCall(host, call.remote, stream, null, e2ee && 'chip' in e2ee ? e2ee.chip : undefined);
  document.title = `Call with ${call.remote} · Parley`;
  if (e2ee && 'why' in e2ee) {
    void call.decline();
    conv.session.close();
    host.finish(
      conv,
      `${call.remote} asked for an end-to-end encrypted call, and this browser cannot do that: ${e2ee.why}. Try a current Firefox, Chrome or Safari.`,
      'warning',
    );
    return;
  }
  if (e2ee) conv.session.on('bound', (bound) => e2ee.watch(conv.screen, bound));
  await conv.session.answer(call, stream ? { stream } : { media: false }, e2ee ? { e2ee: e2ee.setup } : {});
}
