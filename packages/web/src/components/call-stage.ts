/**
 * The call screen's stage: banners on top (signaling lost, unreachable peer, mode change…), the
 * grid of tiles with the waiting overlay over it (calling…, waiting for others…), and the grid's
 * pager below.
 *
 * A component: may import ui/ and other components.
 */
import { avatar } from '../ui/common.ts';
import { h, replaceChildren } from '../ui/dom.ts';
import { icon } from '../ui/icons.ts';
import { VideoGrid } from './video-grid.ts';

/** What the waiting overlay says (calling…, waiting for others…). */
export interface WaitingContent {
  name?: string;
  title: string;
  detail?: string;
  actions?: Node[];
}

/** How a banner looks: `warn` by default, `bad` is an alert, `info` a notice. */
export type BannerTone = 'warn' | 'bad' | 'info';

/** The stage: banners, grid, waiting overlay, pager. */
export class CallStage {
  readonly el: HTMLElement;
  readonly grid: VideoGrid;
  readonly #banners: HTMLElement;
  readonly #waiting: HTMLElement;

  /** `label` names the grid for screen readers (Participants, Call). */
  constructor(label: string) {
    this.grid = new VideoGrid(label);
    this.#banners = h('div', { class: 'stack', style: 'gap:8px' });
    this.#waiting = h('div', { class: 'waiting', hidden: true, role: 'status' });
    this.el = h(
      'section',
      { class: 'stage', 'aria-label': 'Stage' },
      this.#banners,
      h('div', { style: 'position:relative;flex:1;min-height:0;display:flex' }, this.grid.el, this.#waiting),
      this.grid.pager,
    );
    this.grid.el.style.flex = '1';
  }

  /** Shows (or hides, with null) the overlay over the grid. */
  setWaiting(content: WaitingContent | null): void {
    if (!content) {
      this.#waiting.hidden = true;
      replaceChildren(this.#waiting);
      return;
    }
    replaceChildren(
      this.#waiting,
      content.name
        ? h('div', { class: 'pulse', style: 'border-radius:50%' }, avatar(content.name, 'large'))
        : null,
      h('h2', null, content.title),
      content.detail ? h('p', null, content.detail) : null,
      content.actions?.length
        ? h('div', { class: 'input-row', style: 'justify-content:center' }, content.actions)
        : null,
    );
    this.#waiting.hidden = false;
  }

  /** Shows a banner; the same `id` replaces it. */
  showBanner(id: string, text: string, tone: BannerTone = 'warn', actions: Node[] = []): void {
    this.clearBanner(id);
    this.#banners.append(
      h(
        'div',
        {
          class: `banner ${tone === 'warn' ? '' : tone}`.trim(),
          'data-banner': id,
          role: tone === 'bad' ? 'alert' : 'status',
        },
        icon(tone === 'info' ? 'info' : 'alert'),
        h('span', { class: 'banner-text' }, text),
        actions,
      ),
    );
  }

  /** Removes a banner. */
  clearBanner(id: string): void {
    this.#banners.querySelector(`[data-banner="${id}"]`)?.remove();
  }
}
