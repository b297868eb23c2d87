/**
 * The call screen's side panel: two tabs (chat and connection details) over their panels, a
 * close button, and arrow keys between the tabs (the WAI-ARIA tabs pattern). It shows what it is
 * told; the call screen decides which tab is open and keeps the control bar in step.
 *
 * A component: may import ui/ and other components.
 */
import { h } from '../ui/dom.ts';
import { icon } from '../ui/icons.ts';

/** A tab of the side panel. */
export type SideTab = 'chat' | 'people' | 'conn';

/** The tabs in order (arrow keys move along it). */
const TAB_ORDER: readonly SideTab[] = ['chat', 'people', 'conn'];

/** The side panel around the chat and connection panels. */
export class CallSidePanel {
  readonly el: HTMLElement;
  readonly #tabs: Record<SideTab, HTMLButtonElement>;
  readonly #panels: Record<SideTab, HTMLElement>;
  readonly #unread: HTMLElement;
  #open: SideTab | null = null;

  /** `select` is asked to open a tab (null: close the panel). `people`: the participant list. */
  constructor(
    chat: HTMLElement,
    conn: HTMLElement,
    select: (tab: SideTab | null) => void,
    people: HTMLElement = h('div'),
  ) {
    this.#unread = h('span', { class: 'count', 'aria-label': 'unread' });
    const tab = (key: SideTab, iconName: 'chat' | 'signal' | 'users', label: string, ...extra: Node[]) =>
      h(
        'button',
        {
          class: 'tab',
          role: 'tab',
          id: `tab-${key}`,
          'aria-controls': `panel-${key}`,
          onclick: () => select(key),
        },
        icon(iconName),
        label,
        ...extra,
      );
    this.#tabs = {
      chat: tab('chat', 'chat', 'Chat', this.#unread),
      people: tab('people', 'users', 'People'),
      conn: tab('conn', 'signal', 'Connection'),
    };
    chat.id = 'panel-chat';
    chat.setAttribute('role', 'tabpanel');
    chat.setAttribute('aria-labelledby', 'tab-chat');
    const connPanel = h(
      'div',
      { class: 'tabpanel', id: 'panel-conn', role: 'tabpanel', 'aria-labelledby': 'tab-conn' },
      conn,
    );
    const peoplePanel = h(
      'div',
      { class: 'tabpanel', id: 'panel-people', role: 'tabpanel', 'aria-labelledby': 'tab-people' },
      people,
    );
    this.#panels = { chat, people: peoplePanel, conn: connPanel };
    this.el = h(
      'aside',
      { class: 'side', 'aria-label': 'Side panel' },
      h(
        'div',
        {
          class: 'tabs',
          role: 'tablist',
          'aria-label': 'Side panel',
          // Arrow keys move between tabs (WAI-ARIA tabs pattern).
          onkeydown: (e: KeyboardEvent) => {
            if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
            e.preventDefault();
            const at = TAB_ORDER.indexOf(this.#open ?? 'chat');
            const step = e.key === 'ArrowRight' ? 1 : TAB_ORDER.length - 1;
            const next = TAB_ORDER[(at + step) % TAB_ORDER.length]!;
            select(next);
            this.#tabs[next].focus();
          },
        },
        this.#tabs.chat,
        this.#tabs.people,
        this.#tabs.conn,
        h(
          'button',
          {
            class: 'icon-button side-close',
            type: 'button',
            'aria-label': 'Close side panel',
            onclick: () => select(null),
          },
          icon('cross'),
        ),
      ),
      chat,
      peoplePanel,
      connPanel,
    );
  }

  /** The open tab, or null when the panel is closed. */
  get open(): SideTab | null {
    return this.#open;
  }

  /** Shows `tab`'s panel (null: none); selection and focus order follow. */
  show(tab: SideTab | null): void {
    this.#open = tab;
    for (const key of TAB_ORDER) {
      const selected = tab === key;
      this.#tabs[key].setAttribute('aria-selected', String(selected));
      this.#tabs[key].tabIndex = selected ? 0 : -1;
      this.#panels[key].hidden = !selected;
    }
  }

  /** The unread count on the chat tab (0: none). */
  setUnread(count: number): void {
    this.#unread.textContent = count > 0 ? String(count) : '';
  }
}
