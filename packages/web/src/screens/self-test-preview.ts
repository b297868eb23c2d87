/**
 * The self-test's camera preview with a microphone level meter: empty until the media check has
 * opened the devices, then the picture (or "No camera picture.") and the live level.
 *
 * A screen part: may import media/ and ui/.
 */
import { levelMeterView } from '../components/level-meter-view.ts';
import { createLevelMeter } from '../media/audio.ts';
import { h, replaceChildren } from '../ui/dom.ts';
import { icon } from '../ui/icons.ts';

/** The preview and its meter. */
export interface SelfTestPreview {
  readonly el: HTMLElement;
  /** Shows `stream`'s picture and level (null: nothing to show). */
  show(stream: MediaStream | null): void;
  /** Stops the meter and lets go of the picture (the caller stops the stream itself). */
  stop(): void;
}

/** Builds the self-test's preview. */
export function selfTestPreview(): SelfTestPreview {
  const video = h('video', { autoplay: true, muted: true, playsInline: true, 'aria-label': 'Your camera' });
  const meter = levelMeterView();
  const previewEmpty = h(
    'div',
    { class: 'preview-empty' },
    icon('cam'),
    h('p', null, 'Your camera appears here once the first check has run.'),
  );
  const el = h(
    'div',
    { class: 'preview' },
    video,
    previewEmpty,
    h('div', { class: 'preview-bar' }, h('span', { class: 'chip plain' }, icon('mic')), meter.element),
  );
  let meterTimer: ReturnType<typeof setInterval> | undefined;
  let closeMeter: (() => void) | undefined;
  return {
    el,
    show(stream) {
      if (!stream) return;
      if (stream.getVideoTracks().length > 0) {
        video.srcObject = stream;
        previewEmpty.hidden = true;
      } else {
        replaceChildren(previewEmpty, icon('camOff'), h('p', null, 'No camera picture.'));
        previewEmpty.hidden = false;
      }
      const level = createLevelMeter(stream);
      if (level) {
        closeMeter = () => level.close();
        meterTimer = setInterval(() => {
          meter.show(level.read());
        }, 100);
      }
    },
    stop() {
      clearInterval(meterTimer);
      closeMeter?.();
      closeMeter = undefined;
      video.srcObject = null;
    },
  };
}
