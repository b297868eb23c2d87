/**
 * The microphone level bar shown under a camera preview: an ARIA meter (0–100) whose fill
 * follows the level. Used by the pre-call preview and the self-test, so both read the same to a
 * screen reader.
 */
import { h } from '../ui/dom.ts';

/** A level bar and the one way to move it. */
export interface LevelMeterView {
  readonly element: HTMLElement;
  /** Shows `level` (0–1). */
  show(level: number): void;
}

/** Builds a level bar at 0. */
export function levelMeterView(): LevelMeterView {
  const fill = h('span');
  const element = h(
    'div',
    {
      class: 'level-meter',
      role: 'meter',
      'aria-label': 'Microphone level',
      'aria-valuemin': '0',
      'aria-valuemax': '100',
      'aria-valuenow': '0',
    },
    fill,
  );
  return {
    element,
    show(level) {
      const v = Math.round(level * 100);
      fill.style.width = `${v}%`;
      element.setAttribute('aria-valuenow', String(v));
    },
  };
}
