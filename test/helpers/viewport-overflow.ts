/**
 * Finds what sticks out of the viewport on a page, for the phone-layout tests: every visible
 * element whose box reaches past the left or right edge (or the bottom, for elements that are
 * not inside a scrolling container) and is not clipped by an ancestor that is itself on screen.
 * A script in a string: the test transpiler would wrap named functions in a helper the page lacks.
 */
import type { Page } from 'playwright-core';

/** One element outside the viewport. */
export interface Outside {
  /** tag.class#id, and its text or label, to find it. */
  what: string;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const SCRIPT = `(() => {
  const vw = document.documentElement.clientWidth;
  const vh = window.innerHeight;
  const out = [];
  const clips = (el) => {
    const s = getComputedStyle(el);
    return s.overflowX !== 'visible' || s.overflowY !== 'visible';
  };
  const scrollsY = (el) => {
    const s = getComputedStyle(el);
    return (s.overflowY === 'auto' || s.overflowY === 'scroll') && el.scrollHeight > el.clientHeight;
  };
  for (const el of document.body.querySelectorAll('*')) {
    const s = getComputedStyle(el);
    if (s.display === 'none' || s.visibility === 'hidden' || el.closest('[hidden]')) continue;
    if (el.classList.contains('skip-link') || el.classList.contains('visually-hidden') || el.closest('.visually-hidden, svg')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    // The first clipping ancestor that is itself on screen decides whether the element is cut
    // off sideways; the walk goes on to the top all the same, since a scroller further up (the
    // page itself) still brings an element below the fold into view.
    let clipped = false;
    let decided = false;
    let inScroller = false;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (scrollsY(a)) inScroller = true;
      if (!decided && clips(a)) {
        const ar = a.getBoundingClientRect();
        if (ar.left >= -1 && ar.right <= vw + 1) {
          decided = true;
          clipped = !(r.left >= ar.left - 1 && r.right <= ar.right + 1);
        }
      }
    }
    if (clipped) continue;
    const horizontal = r.left < -1 || r.right > vw + 1;
    const vertical = !inScroller && (r.top < -1 || r.bottom > vh + 1);
    if (!horizontal && !vertical) continue;
    const label = el.getAttribute('aria-label') || (el.textContent || '').trim().slice(0, 40);
    const name = el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + (el.id ? '#' + el.id : '');
    out.push({ what: name + ' "' + label + '"', left: Math.round(r.left), right: Math.round(r.right), top: Math.round(r.top), bottom: Math.round(r.bottom) });
  }
  return out;
})()`;

/** The visible elements of `page` that reach outside its viewport (empty when none do). */
export async function outsideViewport(page: Page): Promise<Outside[]> {
  return (await page.evaluate(SCRIPT)) as Outside[];
}

/** Whether the page scrolls sideways (its content is wider than the viewport). */
export async function scrollsSideways(page: Page): Promise<boolean> {
  return (await page.evaluate(
    'Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) > document.documentElement.clientWidth',
  )) as boolean;
}
