/**
 * "After your calls" on the home screen: the chat and files of calls and rooms that ended, one
 * card each (app/conversation-record.ts), so nothing is lost at hang-up. Received files can still
 * be saved; each card has Dismiss, which forgets it and releases its files. The cards last until
 * dismissed or until the page goes (a reload forgets them: nothing is written to disk).
 *
 * Object URLs for the files are made when a card is drawn and revoked when the card is dismissed
 * or the panel is destroyed (the home screen leaves), so no blob outlives what shows it.
 *
 * A component: may import app/ and ui/.
 */
import type { AfterCalls, ConversationRecord, FileEntry, RecordEntry } from '../app/conversation-record.ts';
import { announce } from '../ui/announce.ts';
import { h, replaceChildren } from '../ui/dom.ts';
import { formatBytes, formatClock, formatDuration } from '../ui/format.ts';
import { icon } from '../ui/icons.ts';

/** The panel; `el` is empty (and hidden) while there is nothing to show. */
export class AfterCallPanel {
  readonly el: HTMLElement;
  readonly #store: AfterCalls;
  readonly #urls = new Map<FileEntry, string>();
  readonly #off: () => void;

  constructor(store: AfterCalls) {
    this.#store = store;
    this.el = h('section', { class: 'card after-calls', 'aria-labelledby': 'after-calls-title' });
    this.#off = store.onChange(() => this.#render());
    this.#render();
  }

  #render(): void {
    const records = this.#store.records;
    // Release the files of records that went.
    const kept = new Set(records.flatMap((r) => r.entries));
    for (const [entry, url] of this.#urls)
      if (!kept.has(entry)) {
        URL.revokeObjectURL(url);
        this.#urls.delete(entry);
      }
    this.el.hidden = records.length === 0;
    replaceChildren(
      this.el,
      records.length === 0
        ? null
        : [
            h(
              'div',
              { class: 'card-header' },
              h('h2', { id: 'after-calls-title' }, 'After your calls'),
              records.length > 1
                ? h(
                    'button',
                    {
                      class: 'button ghost small',
                      type: 'button',
                      onclick: () => {
                        this.#store.clear();
                        announce('All call records dismissed');
                      },
                    },
                    'Dismiss all',
                  )
                : null,
            ),
            h(
              'p',
              { class: 'muted small' },
              'The chat and files of calls that ended stay here until you dismiss them or leave this page.',
            ),
            records.map((r) => this.#card(r)),
          ],
    );
  }

  #card(record: ConversationRecord): HTMLElement {
    const title = record.kind === 'call' ? `Call with ${record.title}` : `Room ${record.title}`;
    const ended = record.endedAt ?? Date.now();
    const files = record.receivedFiles.length;
    const headingId = `after-${record.id}`;
    return h(
      'article',
      { class: 'after-call', 'aria-labelledby': headingId, 'data-record': record.id },
      h(
        'div',
        { class: 'after-call-head' },
        h(
          'div',
          null,
          h('h3', { id: headingId }, title),
          h(
            'p',
            { class: 'muted small' },
            `Ended ${formatClock(new Date(ended))} · ${formatDuration((ended - record.startedAt) / 1000)}`,
            record.people.length ? ` · with ${record.people.join(', ')}` : '',
            files ? ` · ${files} file${files === 1 ? '' : 's'} received` : '',
          ),
        ),
        h(
          'button',
          {
            class: 'button ghost small',
            type: 'button',
            'aria-label': `Dismiss ${title}`,
            onclick: () => {
              this.#store.dismiss(record.id);
              announce(`${title} dismissed`);
            },
          },
          icon('cross'),
          'Dismiss',
        ),
      ),
      h(
        'ol',
        { class: 'after-call-log', 'aria-label': `Chat of ${title}` },
        record.entries.map((e) => this.#entry(e)),
      ),
    );
  }

  #entry(e: RecordEntry): HTMLElement {
    const at = formatClock(new Date(e.at));
    if (e.kind === 'system') return h('li', { class: 'system-msg' }, `${e.text} · ${at}`);
    const who = e.mine ? 'You' : e.from;
    if (e.kind === 'text')
      return h(
        'li',
        { class: `msg${e.mine ? ' mine' : ''}`, 'data-from': e.from },
        h('span', { class: 'msg-meta' }, `${who} · ${at}${e.earlier ? ' · before you joined' : ''}`),
        h('div', { class: 'msg-body' }, e.text),
      );
    let action: Node;
    if (e.mine)
      action = h(
        'span',
        { class: 'muted small' },
        e.delivered ? `Sent to ${e.from}` : `Not sent to ${e.from}`,
      );
    else if (e.blob) {
      let url = this.#urls.get(e);
      if (!url) {
        url = URL.createObjectURL(e.blob);
        this.#urls.set(e, url);
      }
      action = h(
        'a',
        { class: 'button small', href: url, download: e.name, 'aria-label': `Save ${e.name}` },
        icon('download'),
        'Save',
      );
    } else action = h('span', { class: 'muted small' }, 'Not received');
    return h(
      'li',
      { class: `msg after-file${e.mine ? ' mine' : ''}`, 'data-from': e.from, 'data-file': e.name },
      h('span', { class: 'msg-meta' }, `${who} · ${at}`),
      h(
        'div',
        { class: 'after-file-row' },
        icon('file'),
        h('span', { class: 'file-name', title: e.name }, e.name),
        h('span', { class: 'muted small' }, formatBytes(e.size)),
        action,
      ),
    );
  }

  /** Releases the files' URLs and stops following the store (the home screen leaves). */
  destroy(): void {
    this.#off();
    for (const url of this.#urls.values()) URL.revokeObjectURL(url);
    this.#urls.clear();
  }
}
