/**
 * One participant's tile: their video (or initials when the camera is off), their name, a muted
 * microphone icon, a speaking ring driven by the audio level, a stronger highlight for the room's
 * active speaker, and a badge for connection states (connecting, reconnecting, unreachable). The
 * tile keeps its size whatever the video does, so nothing shifts when a stream starts, stops or
 * changes resolution. Its accessible name says what the picture shows ("ana, muted, camera
 * off"); its description says "speaking" while they are the room's active speaker (kept out of
 * the name, which should not change every time someone talks).
 *
 * Each tile has a "fit / fill" toggle (a button with `aria-pressed`): fill crops the video to
 * cover the tile (`object-fit: cover`, the default for cameras), fit shows the whole picture
 * letterboxed (`contain`, the default for screen shares). Until the person chooses, a camera
 * whose shape is so unlike its tile's that filling would hide more than half of the picture (a
 * landscape camera in a tall phone tile) is shown whole. The grid remembers a choice for the
 * rest of the call (video-grid.ts).
 */

import { applySpeaker } from '../media/local-media.ts';
import { avatar } from '../ui/common.ts';
import { h, replaceChildren } from '../ui/dom.ts';
import { hueFor } from '../ui/format.ts';
import { type IconName, icon } from '../ui/icons.ts';

/** Tone of a state badge. */
export type BadgeTone = '' | 'warn' | 'bad';

const SPEAKING_THRESHOLD = 0.18;
/** Below this share of the picture left visible by filling, a camera tile shows it whole. */
const MIN_FILL_VISIBLE = 0.5;
let nextId = 0;

/** A participant tile. */
export class VideoTile {
  readonly el: HTMLElement;
  readonly name: string;
  readonly self: boolean;
  readonly #video: HTMLVideoElement;
  readonly #bars: HTMLElement[];
  readonly #state: HTMLElement;
  readonly #label: HTMLElement;
  /** The tile's accessible description ("speaking", or empty). */
  readonly #description: HTMLElement;
  #stream: MediaStream | null = null;
  #speaking = false;
  #activeSpeaker = false;
  #videoOff = true;
  /** The camera was reported off (by media state or our own toggle), as opposed to "no video yet". */
  #cameraOff = false;
  readonly #fitButton: HTMLButtonElement;
  /** The person's choice (true: fit), or null: automatic. */
  #fitChoice: boolean | null = null;
  #fit = false;
  readonly #resizeObserver: ResizeObserver;
  /** Called when the person switches fit / fill (the grid remembers it). */
  onFitChange: ((fit: boolean) => void) | null = null;
  #onTrackChange = () => this.#refreshVideo();

  constructor(name: string, options: { self?: boolean; screen?: boolean; label?: string } = {}) {
    this.name = name;
    this.self = options.self ?? false;
    this.#video = h('video', { autoplay: true, playsInline: true, muted: this.self, 'aria-hidden': 'true' });
    this.#bars = [h('span'), h('span'), h('span')];
    this.#state = h('div', { class: 'tile-state' });
    const shown = options.label ?? (this.self ? `${name} (you)` : name);
    this.#label = h('span', { class: 'tile-name' }, shown);
    const descriptionId = `tile-description-${++nextId}`;
    this.#description = h('span', { class: 'visually-hidden', id: descriptionId });
    this.#fitButton = h(
      'button',
      {
        class: 'icon-button small tile-fit',
        type: 'button',
        'aria-label': `Show whole picture: ${shown}`,
        'aria-pressed': 'false',
        onclick: () => {
          this.setFit(!this.#fit);
          this.onFitChange?.(this.#fit);
        },
      },
      icon('fit'),
    );
    this.el = h(
      'div',
      {
        class: `tile no-video entering${this.self ? ' self' : ''}${options.screen ? ' screen' : ''}`,
        style: `--hue:${hueFor(name)}`,
        'data-peer': name,
        role: 'group',
        'aria-label': shown,
        'aria-describedby': descriptionId,
      },
      this.#description,
      this.#video,
      h('div', { class: 'tile-avatar' }, avatar(name, 'large')),
      this.#state,
      this.#fitButton,
      h(
        'div',
        { class: 'tile-label' },
        h('span', { class: 'level-bars', 'aria-hidden': 'true' }, this.#bars),
        icon('micOff', 'icon muted-icon'),
        icon('screen', 'icon screen-icon'),
        this.#label,
      ),
    );
    this.#applyFit();
    this.#resizeObserver = new ResizeObserver(() => this.#applyFit());
    this.#resizeObserver.observe(this.el);
    this.#video.addEventListener('resize', () => this.#applyFit());
    this.el.addEventListener('animationend', () => this.el.classList.remove('entering'), { once: true });
    // Remote videos may be paused by autoplay rules until the page had a click; retry on play.
    this.#video.addEventListener('loadedmetadata', () => void this.#video.play().catch(() => undefined));
  }

  /** The media element (for speaker selection and tests). */
  get video(): HTMLVideoElement {
    return this.#video;
  }

  /** The stream shown, or null. */
  get stream(): MediaStream | null {
    return this.#stream;
  }

  /** Shows a stream (its audio plays too, except on the self tile). */
  setStream(stream: MediaStream | null): void {
    if (this.#stream === stream) {
      this.#refreshVideo();
      return;
    }
    this.#stream?.removeEventListener('addtrack', this.#onTrackChange);
    this.#stream?.removeEventListener('removetrack', this.#onTrackChange);
    this.#stream = stream;
    stream?.addEventListener('addtrack', this.#onTrackChange);
    stream?.addEventListener('removetrack', this.#onTrackChange);
    this.#video.srcObject = stream;
    if (stream) void this.#video.play().catch(() => undefined);
    this.#refreshVideo();
  }

  /** Marks the camera as off (or on); with no live video track the tile shows initials anyway. */
  setVideoOff(off: boolean): void {
    this.#videoOff = off;
    this.#cameraOff = off;
    this.#refreshVideo();
    this.#updateLabel();
  }

  #refreshVideo(): void {
    const live = this.#stream?.getVideoTracks().some((t) => t.readyState === 'live') ?? false;
    const off = this.#videoOff || !live;
    this.el.classList.toggle('no-video', off);
  }

  /** Shows or hides the muted-microphone icon. */
  setAudioMuted(muted: boolean): void {
    this.el.classList.toggle('audio-muted', muted);
    this.#updateLabel();
  }

  /** The accessible name says what the picture cannot: muted, camera off. */
  #updateLabel(): void {
    const parts = [this.#label.textContent ?? this.name];
    if (this.audioMuted && !this.isScreen) parts.push('muted');
    if (this.#cameraOff && !this.isScreen) parts.push('camera off');
    this.el.setAttribute('aria-label', parts.join(', '));
  }

  /**
   * Marks the room's active speaker (the SFU's or the SDK's pick, steadier than the level ring):
   * a wider highlight that stays while they hold the floor.
   */
  setActiveSpeaker(active: boolean): void {
    if (active === this.#activeSpeaker) return;
    this.#activeSpeaker = active;
    this.el.classList.toggle('active-speaker', active);
    this.#description.textContent = active ? 'speaking' : '';
  }

  /** True while this tile is the room's active speaker. */
  get activeSpeaker(): boolean {
    return this.#activeSpeaker;
  }

  /** True when the camera was reported off (as opposed to no video having arrived yet). */
  get cameraOff(): boolean {
    return this.#cameraOff;
  }

  /** True when the tile shows the muted icon. */
  get audioMuted(): boolean {
    return this.el.classList.contains('audio-muted');
  }

  /** Feeds the current audio level (0..1): animates the bars and the speaking ring. */
  setLevel(level: number): void {
    const heights = [0.6, 1, 0.75];
    this.#bars.forEach((bar, i) => {
      const v = Math.min(1, level * 1.6 * heights[i]!);
      bar.style.height = `${4 + Math.round(v * 10)}px`;
    });
    const speaking = level > SPEAKING_THRESHOLD && !this.audioMuted;
    if (speaking !== this.#speaking) {
      this.#speaking = speaking;
      this.el.classList.toggle('speaking', speaking);
    }
  }

  /** Shows a state badge (e.g. "Connecting…"), or clears it with null. */
  setBadge(text: string | null, tone: BadgeTone = '', iconName?: IconName): void {
    if (text === null) {
      replaceChildren(this.#state);
      return;
    }
    replaceChildren(
      this.#state,
      h('span', { class: `tile-badge ${tone}`.trim() }, iconName ? icon(iconName) : null, text),
    );
  }

  /** Routes this tile's sound to a speaker (where supported). */
  setSpeaker(deviceId: string | null): Promise<void> {
    return applySpeaker(this.#video, deviceId);
  }

  /** True for a screen-share tile. */
  get isScreen(): boolean {
    return this.el.classList.contains('screen');
  }

  /**
   * Shows the whole picture letterboxed (fit, true) or cropped to the tile (fill, false); null
   * goes back to the automatic choice.
   */
  setFit(fit: boolean | null): void {
    this.#fitChoice = fit;
    this.#applyFit();
  }

  /** Fit for screens; for cameras fill, unless filling would hide most of the picture. */
  #automaticFit(): boolean {
    if (this.isScreen) return true;
    const { videoWidth: vw, videoHeight: vh } = this.#video;
    const { clientWidth: tw, clientHeight: th } = this.el;
    if (!vw || !vh || !tw || !th) return false;
    const ratio = tw / th / (vw / vh);
    return Math.min(ratio, 1 / ratio) < MIN_FILL_VISIBLE;
  }

  #applyFit(): void {
    const fit = this.#fitChoice ?? this.#automaticFit();
    this.#fit = fit;
    this.el.classList.toggle('fit', fit);
    this.#fitButton.setAttribute('aria-pressed', String(fit));
    this.#fitButton.title = fit
      ? 'Whole picture shown: crop to fill the tile'
      : 'Cropped to fill the tile: show the whole picture';
  }

  /** True while the whole picture is shown (fit), false while cropped to fill the tile. */
  get fit(): boolean {
    return this.#fit;
  }

  /** Detaches the stream. */
  destroy(): void {
    this.#resizeObserver.disconnect();
    this.setStream(null);
    this.el.remove();
  }
}
