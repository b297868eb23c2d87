/**
 * The preview of your own camera and microphone before a call: the picture, a microphone level
 * meter, camera and microphone toggles, and, when the camera cannot be opened, what happened and
 * what to do (retry, or go on without it). The stream it opened is handed to the call, so the
 * camera is not opened twice.
 */
import { allowMediaAdvice } from '../app/media-advice.ts';
import { readPref, writePref } from '../app/prefs.ts';
import { createLevelMeter, type LevelMeter } from '../media/audio.ts';
import {
  describeMediaProblem,
  MediaAccessError,
  type MediaProblem,
  openUserMedia,
  stopStream,
} from '../media/local-media.ts';
import { announce } from '../ui/announce.ts';
import { h, replaceChildren } from '../ui/dom.ts';
import { icon } from '../ui/icons.ts';
import { openDeviceDialog } from './device-dialog.ts';
import { type LevelMeterView, levelMeterView } from './level-meter-view.ts';

/** The preview panel. */
export class SelfPreview {
  readonly el: HTMLElement;
  readonly #video: HTMLVideoElement;
  readonly #overlay: HTMLElement;
  readonly #meter: LevelMeterView;
  readonly #micButton: HTMLButtonElement;
  readonly #camButton: HTMLButtonElement;
  readonly #devButton: HTMLButtonElement;
  #stream: MediaStream | null = null;
  #problem: MediaProblem | null = null;
  /** The camera was refused but the microphone opened: joining goes with sound only. */
  #cameraBlocked = false;
  #level: LevelMeter | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #audioOn = true;
  #videoOn = true;
  #opening: Promise<void> | null = null;

  constructor() {
    this.#video = h('video', {
      autoplay: true,
      muted: true,
      playsInline: true,
      'aria-label': 'Preview of your camera',
    });
    this.#overlay = h('div', { class: 'preview-empty' }, icon('cam'), h('p', null, 'Starting your camera…'));
    this.#meter = levelMeterView();
    this.#micButton = h('button', {
      class: 'control',
      type: 'button',
      'aria-label': 'Mute microphone',
      'aria-pressed': 'false',
      onclick: () => this.setAudio(!this.#audioOn),
    });
    this.#camButton = h('button', {
      class: 'control',
      type: 'button',
      'aria-label': 'Stop camera',
      'aria-pressed': 'false',
      onclick: () => this.setVideo(!this.#videoOn),
    });
    // Devices before joining: the choice is remembered (prefs) and used by the call to come.
    this.#devButton = h(
      'button',
      {
        class: 'control',
        type: 'button',
        'aria-label': 'Choose camera, microphone and speaker',
        title: 'Devices',
        onclick: () => void this.#chooseDevices(),
      },
      icon('settings'),
    );
    this.el = h(
      'div',
      { class: 'preview' },
      this.#video,
      this.#overlay,
      h(
        'div',
        { class: 'preview-bar' },
        this.#micButton,
        this.#camButton,
        this.#devButton,
        this.#meter.element,
      ),
    );
    this.#renderButtons();
  }

  /** The opened stream (null until opened, or when it could not be). */
  get stream(): MediaStream | null {
    return this.#stream;
  }
  /** Why the camera/microphone could not be opened, or null. */
  get problem(): MediaProblem | null {
    return this.#problem;
  }
  /** Whether the person wants to join with the microphone on. */
  get audioOn(): boolean {
    return this.#audioOn;
  }
  /** Whether the person wants to join with the camera on. */
  get videoOn(): boolean {
    return this.#videoOn;
  }

  /** Opens camera and microphone (again, after a failure). */
  open(): Promise<void> {
    this.#opening ??= this.#open().finally(() => {
      this.#opening = null;
    });
    return this.#opening;
  }

  async #open(): Promise<void> {
    this.#release();
    this.#problem = null;
    this.#cameraBlocked = false;
    replaceChildren(this.#overlay, icon('cam'), h('p', null, 'Starting your camera…'));
    this.#overlay.hidden = false;
    try {
      const stream = await openUserMedia({
        audio: true,
        video: true,
        cameraId: readPref('camera'),
        microphoneId: readPref('microphone'),
      });
      this.#stream = stream;
      this.#video.srcObject = stream;
      for (const t of stream.getAudioTracks()) t.enabled = this.#audioOn;
      for (const t of stream.getVideoTracks()) t.enabled = this.#videoOn;
      this.#level = createLevelMeter(stream);
      this.#timer = setInterval(() => this.#tick(), 100);
      this.#renderOverlay();
    } catch (err) {
      this.#problem = err instanceof MediaAccessError ? err.problem : 'other';
      // Only the camera may be blocked (permissions are per device kind): keep the microphone.
      if (this.#problem === 'denied') await this.#openMicrophoneOnly();
      this.#renderOverlay();
    }
    this.#renderButtons();
  }

  async #openMicrophoneOnly(): Promise<void> {
    try {
      const stream = await openUserMedia({ audio: true, video: false, microphoneId: readPref('microphone') });
      if (stream.getAudioTracks().length === 0) return;
      this.#problem = null;
      this.#cameraBlocked = true;
      this.#stream = stream;
      for (const t of stream.getAudioTracks()) t.enabled = this.#audioOn;
      this.#level = createLevelMeter(stream);
      this.#timer = setInterval(() => this.#tick(), 100);
    } catch {
      // The microphone is blocked too: the whole problem stands.
    }
  }

  /** The device dialog, before joining: a new camera or microphone reopens the preview with it. */
  async #chooseDevices(): Promise<void> {
    const settings = (kind: 'audio' | 'video') =>
      this.#stream
        ?.getTracks()
        .find((t) => t.kind === kind)
        ?.getSettings().deviceId ?? null;
    await openDeviceDialog(
      { camera: settings('video'), microphone: settings('audio'), speaker: readPref('speaker') },
      (kind, deviceId) => {
        writePref(kind, deviceId || null);
        if (kind === 'speaker') return;
        void this.open().then(() => {
          if (!this.#problem) announce(`${kind === 'camera' ? 'Camera' : 'Microphone'} changed`);
        });
      },
    );
  }

  #tick(): void {
    this.#meter.show(this.#level && this.#audioOn ? this.#level.read() : 0);
  }

  #renderOverlay(): void {
    if (this.#problem) {
      const text = describeMediaProblem(this.#problem);
      replaceChildren(
        this.#overlay,
        icon('camOff'),
        h('p', { role: 'status' }, h('strong', null, text.title)),
        h('p', { class: 'small' }, text.advice),
        this.#problem === 'denied'
          ? h('p', { class: 'small preview-how' }, allowMediaAdvice(navigator.userAgent))
          : null,
        h(
          'button',
          { class: 'button', type: 'button', onclick: () => void this.open() },
          icon('refresh'),
          'Try again',
        ),
      );
      this.#overlay.hidden = false;
      return;
    }
    const hasVideo = (this.#stream?.getVideoTracks().length ?? 0) > 0;
    if (this.#cameraBlocked) {
      replaceChildren(
        this.#overlay,
        icon('camOff'),
        h('p', { role: 'status' }, h('strong', null, 'Your camera is blocked')),
        h('p', { class: 'small' }, 'You will join with sound only.'),
        h('p', { class: 'small preview-how' }, allowMediaAdvice(navigator.userAgent)),
        h(
          'button',
          { class: 'button', type: 'button', onclick: () => void this.open() },
          icon('refresh'),
          'Try again',
        ),
      );
      this.#overlay.hidden = false;
    } else if (!hasVideo) {
      replaceChildren(
        this.#overlay,
        icon('camOff'),
        h('p', null, 'No camera: you will join with sound only.'),
      );
      this.#overlay.hidden = false;
    } else if (!this.#videoOn) {
      replaceChildren(this.#overlay, icon('camOff'), h('p', null, 'Your camera is off.'));
      this.#overlay.hidden = false;
    } else {
      this.#overlay.hidden = true;
    }
  }

  #renderButtons(): void {
    const hasAudio = (this.#stream?.getAudioTracks().length ?? 0) > 0;
    const hasVideo = (this.#stream?.getVideoTracks().length ?? 0) > 0;
    this.#micButton.disabled = !hasAudio;
    this.#camButton.disabled = !hasVideo;
    this.#micButton.setAttribute('aria-pressed', String(!this.#audioOn));
    this.#camButton.setAttribute('aria-pressed', String(!this.#videoOn));
    this.#micButton.classList.toggle('off', !this.#audioOn || !hasAudio);
    this.#camButton.classList.toggle('off', !this.#videoOn || !hasVideo);
    replaceChildren(this.#micButton, icon(this.#audioOn && hasAudio ? 'mic' : 'micOff'));
    replaceChildren(this.#camButton, icon(this.#videoOn && hasVideo ? 'cam' : 'camOff'));
  }

  /** Turns the microphone on or off for the call to come. */
  setAudio(on: boolean): void {
    this.#audioOn = on;
    for (const t of this.#stream?.getAudioTracks() ?? []) t.enabled = on;
    this.#renderButtons();
  }

  /** Turns the camera on or off for the call to come. */
  setVideo(on: boolean): void {
    this.#videoOn = on;
    for (const t of this.#stream?.getVideoTracks() ?? []) t.enabled = on;
    this.#renderButtons();
    this.#renderOverlay();
  }

  /**
   * Hands the stream to a call: the preview stops showing it but does not stop its tracks (the
   * call owns them now). Returns null when there is none (receive-only).
   */
  takeStream(): MediaStream | null {
    const stream = this.#stream;
    // Forget it first, so releasing the preview does not stop the tracks the call now owns.
    this.#stream = null;
    this.#release();
    return stream;
  }

  #release(): void {
    clearInterval(this.#timer);
    this.#level?.close();
    this.#level = null;
    this.#video.srcObject = null;
    stopStream(this.#stream);
    this.#stream = null;
  }

  /** Stops the preview (and the camera, unless it was handed over). */
  destroy(): void {
    this.#release();
  }
}
