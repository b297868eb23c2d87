/**
 * The first screen: choose the name others see (remembered for next time). When the person came
 * through a room link, it names the room and shows the camera preview, so one click joins.
 */
import { LIMITS } from '@parley/protocol';
import { RECLAIM_STATUS } from '../app/name-reclaim.ts';
import { nameProblem } from '../app/name-rules.ts';
import { readPref } from '../app/prefs.ts';
import type { SelfPreview } from '../components/self-preview.ts';
import { topbar } from '../ui/common.ts';
import { h, replaceChildren } from '../ui/dom.ts';
import { icon } from '../ui/icons.ts';

/** Options of {@link renderGate}. */
export interface GateProps {
  /** The room the link pointed to, if any. */
  room: string | null;
  /** The name an invitation (access token) was issued for: the field is filled in and locked. */
  invitedAs?: string | null;
  preview: SelfPreview;
  /**
   * Tries to log in; resolves to an error message for people, or null on success. Calls
   * `onWaiting` when it waits for the name to come free (this browser's old tab is closing).
   */
  submit(name: string, onWaiting: () => void): Promise<string | null>;
  /** A message to show at once (e.g. why the previous session ended). */
  notice?: string;
}

/** Renders the gate into `root`. */
export function renderGate(root: HTMLElement, props: GateProps): void {
  const input = h('input', {
    class: 'input',
    id: 'display-name',
    name: 'name',
    autocomplete: 'nickname',
    autocapitalize: 'none',
    spellcheck: false,
    maxLength: LIMITS.nameMaxChars,
    placeholder: 'e.g. alice',
    value: props.invitedAs ?? readPref('name') ?? '',
    readOnly: Boolean(props.invitedAs),
    'aria-describedby': 'name-hint name-error',
  });
  const error = h('p', { class: 'field-error', id: 'name-error', role: 'alert' });
  const status = h('p', { class: 'field-hint', id: 'name-status', role: 'status' });
  const button = h(
    'button',
    { class: 'button primary block', type: 'submit' },
    props.room ? 'Join room' : 'Continue',
    icon(props.room ? 'users' : 'arrowRight'),
  );
  const showError = (text: string | null) => {
    error.textContent = text ?? '';
    input.setAttribute('aria-invalid', String(text !== null));
  };
  const form = h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'gate-title',
      novalidate: true,
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const name = input.value.trim();
        const problem = nameProblem(name);
        showError(problem);
        if (problem) {
          input.focus();
          return;
        }
        button.disabled = true;
        button.setAttribute('aria-busy', 'true');
        const failure = await props.submit(name, () => {
          status.textContent = RECLAIM_STATUS;
        });
        status.textContent = '';
        button.disabled = false;
        button.removeAttribute('aria-busy');
        if (failure) {
          showError(failure);
          input.focus();
          input.select();
        }
      },
    },
    h(
      'div',
      { class: 'stack', style: 'gap:6px' },
      h('h2', { id: 'gate-title' }, props.room ? `Join “${props.room}”` : 'What should people call you?'),
      h(
        'p',
        { class: 'muted small' },
        props.room
          ? 'Pick the name the others will see. You can check your camera and microphone on the left.'
          : 'Others find you by this name to call you. It is free as long as nobody online uses it.',
      ),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'display-name' }, 'Your name'),
      input,
      h(
        'p',
        { class: 'field-hint', id: 'name-hint' },
        props.invitedAs
          ? `Your invitation is for “${props.invitedAs}”.`
          : `Up to ${LIMITS.nameMaxChars} letters, digits, “.”, “-” or “_”.`,
      ),
      error,
      status,
    ),
    button,
    props.notice
      ? h(
          'p',
          { class: 'banner info', role: 'status' },
          icon('info'),
          h('span', { class: 'banner-text' }, props.notice),
        )
      : null,
    h('hr', { class: 'divider' }),
    h(
      'p',
      { class: 'small muted' },
      'Trouble with calls? ',
      h('a', { href: '#/test' }, 'Run the self-test'),
      ' to check your camera, microphone and connection.',
    ),
  );

  replaceChildren(
    root,
    topbar(null, h('a', { class: 'button ghost', href: '#/test' }, icon('shield'), 'Self-test')),
    h('main', { class: 'page', id: 'main' }, h('div', { class: 'start' }, gateIntro(props), form)),
  );
  void props.preview.open();
  input.focus();
  if (input.value) input.select();
}

/** The greeting beside the form, with the camera preview. */
function gateIntro(props: GateProps): HTMLElement {
  return h(
    'div',
    { class: 'hero' },
    h('h1', null, props.room ? 'You are invited to a room' : 'Talk face to face, on your own server'),
    h(
      'p',
      { class: 'lead' },
      props.room
        ? 'Video, voice, chat and files go straight between the people in the room. This server only introduces you.'
        : 'Call someone by name or meet in a room. Video, voice, chat and files go straight between you; this server only introduces you.',
    ),
    props.preview.el,
  );
}
