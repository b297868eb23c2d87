/**
 * The home screen once logged in: call someone by name (with the list of who is online), or
 * create / join a room and copy its link. The camera preview stays on the left so the person
 * sees how they look before anyone picks up. The two cards are home-call-card.ts and
 * home-room-card.ts.
 *
 * A screen: may import app/, components/ and ui/.
 */
import type { SelfPreview } from '../components/self-preview.ts';
import { h, replaceChildren } from '../ui/dom.ts';
import { icon } from '../ui/icons.ts';
import { callCard } from './home-call-card.ts';
import { type OnRoom, roomCard } from './home-room-card.ts';

/** Options of {@link renderHome}. */
export interface HomeProps {
  name: string;
  preview: SelfPreview;
  /** The top bar (with the connection status), owned by the app. */
  header: HTMLElement;
  /** The chat and files of ended calls (components/after-call-panel.ts), shown first. */
  afterCalls?: HTMLElement;
  /** Shown above everything else on the side: missed calls, the notification offer. */
  notices?: HTMLElement[];
  onCall(name: string, encrypted: boolean): void;
  /**
   * Joins (or creates) a room; `password` protects a new room, or opens a protected one; `large`
   * creates a new room with its media through the server's SFU from the start.
   */
  onRoom: OnRoom;
  /** Asks the server for the online names starting with `prefix` ('' for the first page of all). */
  onSearchOnline: (prefix: string) => void;
}

/** What the app updates on the home screen. */
export interface HomeView {
  /** Replaces the online list (our own name is left out); `total`: how many match in all. */
  setOnline(names: readonly string[], total?: number): void;
  /** Says the online list is switched off on this server. */
  setPresenceUnavailable(): void;
}

/** Renders the home screen into `root`. */
export function renderHome(root: HTMLElement, props: HomeProps): HomeView {
  const calls = callCard(
    props.name,
    (name, encrypted) => props.onCall(name, encrypted),
    (prefix) => props.onSearchOnline(prefix),
  );
  const side = h(
    'div',
    { class: 'stack' },
    props.notices ?? null,
    props.afterCalls ?? null,
    calls.el,
    roomCard((room, password, large, e2ee) => props.onRoom(room, password, large, e2ee)),
  );
  replaceChildren(
    root,
    props.header,
    h('main', { class: 'page', id: 'main' }, h('div', { class: 'start' }, hero(props), side)),
  );
  void props.preview.open();
  return {
    setOnline: (names, total) => calls.setOnline(names, total),
    setPresenceUnavailable: () => calls.setPresenceUnavailable(),
  };
}

/** The greeting, the camera preview and what Parley offers. */
function hero(props: HomeProps): HTMLElement {
  return h(
    'div',
    { class: 'hero' },
    h('h1', null, `Hello, ${props.name}`),
    h(
      'p',
      { class: 'lead' },
      'Check how you look and sound, then call someone who is online, or open a room and share its link.',
    ),
    props.preview.el,
    h(
      'div',
      { class: 'features' },
      h(
        'div',
        { class: 'feature' },
        icon('shield'),
        h('span', null, 'Calls and small rooms are peer to peer: media never goes through this server.'),
      ),
      h(
        'div',
        { class: 'feature' },
        icon('attach'),
        h('span', null, 'Send files of any size, checked end to end.'),
      ),
      h(
        'div',
        { class: 'feature' },
        icon('users'),
        h(
          'span',
          null,
          'Rooms without an account: six people peer to peer, many more on servers with an SFU.',
        ),
      ),
      h(
        'div',
        { class: 'feature' },
        icon('keyboard'),
        h('span', null, 'Keyboard shortcuts: press ? in a call.'),
      ),
    ),
  );
}
