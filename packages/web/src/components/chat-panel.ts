/**
 * The chat beside the call: the conversation, a composer (Enter sends, Shift+Enter breaks the
 * line), a file picker, and a drop zone over the whole panel for drag-and-drop. File transfers
 * appear in the conversation as {@link FileCard}s.
 */

import { h } from '../ui/dom.ts';
import { formatClock } from '../ui/format.ts';
import { icon } from '../ui/icons.ts';
import type { FileCard } from './file-card.ts';

/** What the chat asks of the call. */
export interface ChatHandlers {
  /** Sends a text; returns false when nobody could receive it. */
  send(text: string): boolean;
  /** Sends files (picked or dropped). */
  sendFiles(files: File[]): void;
  /** Tells the others we started (true) or stopped (false) typing. */
  typing(active: boolean): void;
}

/** Typing stops counting after this long without a key press. */
const TYPING_IDLE_MS = 4000;

/** The chat panel. */
export class ChatPanel {
  readonly el: HTMLElement;
  readonly #log: HTMLElement;
  readonly #empty: HTMLElement;
  readonly #input: HTMLTextAreaElement;
  readonly #handlers: ChatHandlers;
  readonly #typingLine: HTMLElement;
  readonly #typers = new Map<string, ReturnType<typeof setTimeout>>();
  #typing = false;
  #typingTimer: ReturnType<typeof setTimeout> | undefined;
  #unread = 0;
  #visible = false;
  #onUnread: (count: number) => void = () => undefined;

  constructor(handlers: ChatHandlers, maxChars: number) {
    this.#handlers = handlers;
    this.#empty = h(
      'p',
      { class: 'chat-empty' },
      'Messages and files go straight to the others, end to end. Drop a file here to send it.',
    );
    this.#log = h(
      'div',
      { class: 'chat-log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Chat messages' },
      this.#empty,
    );
    this.#input = h('textarea', {
      rows: 1,
      maxLength: maxChars,
      placeholder: 'Write a message',
      'aria-label': 'Message',
      onkeydown: (e: KeyboardEvent) => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          this.#submit();
        }
      },
      oninput: () => {
        this.#autosize();
        this.#noteTyping();
      },
      onblur: () => this.#stopTyping(),
    });
    const picker = h('input', {
      type: 'file',
      multiple: true,
      hidden: true,
      'aria-label': 'Choose files to send',
      onchange: () => {
        const files = [...(picker.files ?? [])];
        picker.value = '';
        if (files.length) this.#handlers.sendFiles(files);
      },
    });
    const form = h(
      'form',
      {
        class: 'composer',
        onsubmit: (e: Event) => {
          e.preventDefault();
          this.#submit();
        },
      },
      picker,
      h(
        'button',
        {
          class: 'icon-button',
          type: 'button',
          'aria-label': 'Send a file',
          title: 'Send a file',
          onclick: () => picker.click(),
        },
        icon('attach'),
      ),
      this.#input,
      h(
        'button',
        { class: 'icon-button send', type: 'submit', 'aria-label': 'Send message', title: 'Send (Enter)' },
        icon('send'),
      ),
    );
    this.#typingLine = h('p', { class: 'typing-line', 'aria-live': 'polite' });
    this.el = h(
      'div',
      { class: 'tabpanel chat', style: 'position:relative' },
      this.#log,
      this.#typingLine,
      form,
      h('div', { class: 'drop-zone', 'aria-hidden': 'true' }, 'Drop to send'),
    );
    this.#wireDrop();
  }

  /** Called with the unread count whenever it changes. */
  onUnread(fn: (count: number) => void): void {
    this.#onUnread = fn;
  }

  /** Tells the panel whether it is on screen (visible messages are read). */
  setVisible(visible: boolean): void {
    this.#visible = visible;
    if (visible && this.#unread > 0) {
      this.#unread = 0;
      this.#onUnread(0);
    }
  }

  /** Puts the cursor in the composer. */
  focus(): void {
    this.#input.focus();
  }

  #noteTyping(): void {
    clearTimeout(this.#typingTimer);
    this.#typingTimer = setTimeout(() => this.#stopTyping(), TYPING_IDLE_MS);
    if (this.#typing || this.#input.value.trim() === '') return;
    this.#typing = true;
    this.#handlers.typing(true);
  }

  #stopTyping(): void {
    clearTimeout(this.#typingTimer);
    if (!this.#typing) return;
    this.#typing = false;
    this.#handlers.typing(false);
  }

  /** Shows or clears "NAME is typing…" for a peer (it clears itself after a while). */
  setTyping(name: string, active: boolean): void {
    clearTimeout(this.#typers.get(name));
    this.#typers.delete(name);
    if (active)
      this.#typers.set(
        name,
        setTimeout(() => this.setTyping(name, false), TYPING_IDLE_MS + 2000),
      );
    const names = [...this.#typers.keys()];
    this.#typingLine.textContent =
      names.length === 0
        ? ''
        : names.length === 1
          ? `${names[0]} is typing…`
          : `${names.join(', ')} are typing…`;
  }

  #submit(): void {
    const text = this.#input.value.trim();
    if (!text) return;
    this.#stopTyping();
    if (this.#handlers.send(text)) {
      this.#input.value = '';
      this.#autosize();
    }
  }

  #autosize(): void {
    this.#input.style.height = 'auto';
    this.#input.style.height = `${Math.min(120, this.#input.scrollHeight + 2)}px`;
  }

  #wireDrop(): void {
    let depth = 0;
    const target = this.el;
    target.addEventListener('dragenter', (e) => {
      if (!e.dataTransfer?.types.includes('Files')) return;
      e.preventDefault();
      depth++;
      target.classList.add('dragging');
    });
    target.addEventListener('dragover', (e) => {
      if (!e.dataTransfer?.types.includes('Files')) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    });
    target.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) target.classList.remove('dragging');
    });
    target.addEventListener('drop', (e) => {
      e.preventDefault();
      depth = 0;
      target.classList.remove('dragging');
      const files = [...(e.dataTransfer?.files ?? [])];
      if (files.length) this.#handlers.sendFiles(files);
    });
  }

  #append(el: HTMLElement, countsAsUnread: boolean): void {
    this.#empty.remove();
    const nearBottom = this.#log.scrollHeight - this.#log.scrollTop - this.#log.clientHeight < 80;
    this.#log.append(el);
    if (nearBottom || !countsAsUnread) this.#log.scrollTop = this.#log.scrollHeight;
    if (countsAsUnread && !this.#visible) {
      this.#unread++;
      this.#onUnread(this.#unread);
    }
  }

  /** Adds a chat message. */
  addMessage(from: string, text: string, mine: boolean, at = new Date()): void {
    this.#append(
      h(
        'div',
        { class: `msg${mine ? ' mine' : ''}`, 'data-from': from },
        h('span', { class: 'msg-meta' }, mine ? `You · ${formatClock(at)}` : `${from} · ${formatClock(at)}`),
        h('div', { class: 'msg-body' }, text),
      ),
      !mine,
    );
  }

  /**
   * Adds a message sent before we joined (room history from its author), in time order within a
   * "Before you joined" section at the top of the conversation.
   */
  addEarlier(from: string, text: string, at: Date): void {
    this.#empty.remove();
    let section = this.#log.querySelector<HTMLElement>('.chat-earlier');
    if (!section) {
      section = h(
        'section',
        { class: 'chat-earlier', 'aria-label': 'Before you joined' },
        h('p', { class: 'system-msg' }, 'Before you joined'),
      );
      this.#log.prepend(section);
    }
    const el = h(
      'div',
      { class: 'msg earlier', 'data-from': from, 'data-ts': String(at.getTime()) },
      h('span', { class: 'msg-meta' }, `${from} · ${formatClock(at)}`),
      h('div', { class: 'msg-body' }, text),
    );
    const later = [...section.querySelectorAll<HTMLElement>('.msg.earlier')].find(
      (m) => Number(m.dataset.ts) > at.getTime(),
    );
    section.insertBefore(el, later ?? null);
  }

  /** Adds a line such as "bob joined". */
  addSystem(text: string): void {
    this.#append(h('p', { class: 'system-msg' }, text), false);
  }

  /** Adds a file transfer card. */
  addFile(card: FileCard, mine: boolean, from: string): void {
    this.#append(
      h(
        'div',
        { class: `msg${mine ? ' mine' : ''}`, 'data-from': from },
        h(
          'span',
          { class: 'msg-meta' },
          mine ? `You · ${formatClock(new Date())}` : `${from} · ${formatClock(new Date())}`,
        ),
        card.el,
      ),
      !mine,
    );
  }
}
