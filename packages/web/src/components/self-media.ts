/**
 * Our own side of the call screen: the self tile (with its speaking meter) and the tile of a
 * screen we share, kept in step with the call's or room's local media, and the actions on it
 * behind the microphone, camera, screen and devices buttons (mute, release and reopen the camera,
 * retry a missing device, share the screen, switch devices, pick the speaker).
 *
 * A component: may import app/ (preferences), ui/, media/ and other components.
 */
import type { LocalMedia } from '@parley/client';
import { readPref, writePref } from '../app/prefs.ts';
import { createLevelMeter, type LevelMeter } from '../media/audio.ts';
import { canBlurBackground, isBackgroundBlurred, setBackgroundBlur } from '../media/background-blur.ts';
import { describeMediaProblem, MediaAccessError, openScreen, openUserMedia } from '../media/local-media.ts';
import { announce, toast } from '../ui/announce.ts';
import type { CallStage } from './call-stage.ts';
import type { ControlButton } from './controls.ts';
import { type DeviceKind, openDeviceDialog } from './device-dialog.ts';
import { VideoTile } from './video-tile.ts';

/** The buttons whose state follows our media. */
export interface SelfMediaButtons {
  mic: ControlButton;
  cam: ControlButton;
  screen: ControlButton;
}

/** Our tiles and media actions. */
export class SelfMedia {
  readonly #stage: CallStage;
  readonly #buttons: SelfMediaButtons;
  readonly #selfName: string;
  readonly #selfTile: VideoTile;
  #selfScreenTile: VideoTile | null = null;
  #media: LocalMedia | null = null;
  #mediaOffs: (() => void)[] = [];
  #selfMeter: LevelMeter | null = null;
  #selfMeterStream: MediaStream | null = null;
  #speaker: string | null = readPref('speaker');

  /** Adds our own tile to the stage's grid. */
  constructor(stage: CallStage, buttons: SelfMediaButtons, selfName: string) {
    this.#stage = stage;
    this.#buttons = buttons;
    this.#selfName = selfName;
    this.#selfTile = new VideoTile(selfName, { self: true });
    stage.grid.add(this.#selfTile);
  }

  /** The chosen speaker (audio output device), for remote tiles; null: the default. */
  get speaker(): string | null {
    return this.#speaker;
  }

  /** Uses this local media (the call's or room's). */
  setMedia(media: LocalMedia): void {
    for (const off of this.#mediaOffs) off();
    this.#media = media;
    this.#mediaOffs = [
      media.on('change', () => this.#renderLocal()),
      media.on('screen', () => this.#renderLocal()),
      media.on('track-replaced', () => this.#renderLocal()),
    ];
    this.#renderLocal();
    if (media.receiveOnly) {
      this.#stage.showBanner(
        'receive-only',
        'You joined without camera and microphone: you see and hear the others, and can chat. Use the microphone or camera button to try again.',
        'info',
      );
    }
  }

  #renderLocal(): void {
    const media = this.#media;
    const stream = media?.stream ?? null;
    const hasAudio = (stream?.getAudioTracks().length ?? 0) > 0;
    const hasVideo = (stream?.getVideoTracks().length ?? 0) > 0;
    const audioOff = !media || !hasAudio || media.isMuted('audio');
    const videoOff = !media || !hasVideo || media.isMuted('video');
    this.#selfTile.setStream(stream);
    this.#selfTile.setVideoOff(videoOff);
    this.#selfTile.setAudioMuted(audioOff);
    this.#buttons.mic.setPressed(audioOff);
    this.#buttons.cam.setPressed(videoOff);
    this.#buttons.mic.setTip(
      hasAudio ? (audioOff ? 'Unmute (M)' : 'Mute (M)') : 'No microphone: click to retry',
    );
    this.#buttons.cam.setTip(
      hasVideo ? (videoOff ? 'Start camera (V)' : 'Stop camera (V)') : 'No camera: click to retry',
    );
    if (hasAudio || hasVideo) this.#stage.clearBanner('receive-only');
    if (stream !== this.#selfMeterStream) {
      this.#selfMeter?.close();
      this.#selfMeterStream = stream;
      this.#selfMeter = stream ? createLevelMeter(stream) : null;
    }
    const screen = media?.screen ?? null;
    this.#buttons.screen.setPressed(screen !== null);
    if (screen && !this.#selfScreenTile) {
      this.#selfScreenTile = new VideoTile(this.#selfName, {
        self: true,
        screen: true,
        label: 'Your screen',
      });
      this.#selfScreenTile.setVideoOff(false);
      this.#selfScreenTile.setAudioMuted(true);
      this.#stage.grid.add(this.#selfScreenTile);
    }
    if (this.#selfScreenTile) {
      if (screen) this.#selfScreenTile.setStream(screen);
      else {
        this.#stage.grid.remove(this.#selfScreenTile);
        this.#selfScreenTile = null;
      }
    }
  }

  /** Mutes or unmutes the microphone (or tries to open one if there is none). */
  async toggleAudio(): Promise<void> {
    const media = this.#media;
    if (!media) return;
    if ((media.stream?.getAudioTracks().length ?? 0) === 0) return this.#retryDevice('audio');
    const muted = !media.isMuted('audio');
    media.setMuted('audio', muted);
    announce(muted ? 'Microphone muted' : 'Microphone on');
  }

  /** Turns the camera off or on (or tries to open one if there is none). */
  async toggleVideo(): Promise<void> {
    const media = this.#media;
    if (!media) return;
    if ((media.stream?.getVideoTracks().length ?? 0) === 0) return this.#retryDevice('video');
    const off = !media.isMuted('video');
    if (off) {
      media.setMuted('video', true);
      // Release the camera too, so its light goes off; it is opened again when turned back on.
      for (const track of media.stream?.getVideoTracks() ?? []) track.stop();
      this.#renderLocal();
      announce('Camera off');
      return;
    }
    const current = media.stream?.getVideoTracks()[0];
    if (current && current.readyState === 'ended') {
      try {
        const reopened = await openUserMedia({ audio: false, video: true, cameraId: readPref('camera') });
        const track = reopened.getVideoTracks()[0];
        if (track) await media.replaceTrack(track);
      } catch (err) {
        const text = describeMediaProblem(err instanceof MediaAccessError ? err.problem : 'other');
        toast(`${text.title}. ${text.advice}`, 'error', 9000);
        return;
      }
    }
    media.setMuted('video', false);
    announce('Camera on');
  }

  async #retryDevice(kind: 'audio' | 'video'): Promise<void> {
    const media = this.#media;
    if (!media) return;
    try {
      const stream = await openUserMedia({
        audio: kind === 'audio',
        video: kind === 'video',
        cameraId: readPref('camera'),
        microphoneId: readPref('microphone'),
      });
      const track = stream.getTracks()[0];
      if (track) await media.replaceTrack(track);
      toast(kind === 'audio' ? 'Microphone on.' : 'Camera on.', 'success');
    } catch (err) {
      const text = describeMediaProblem(err instanceof MediaAccessError ? err.problem : 'other');
      toast(`${text.title}. ${text.advice}`, 'error', 9000);
    }
  }

  /** Starts or stops sharing the screen. */
  async toggleScreen(): Promise<void> {
    const media = this.#media;
    if (!media) return;
    if (media.screen) {
      await media.stopScreenShare();
      announce('Screen sharing stopped');
      return;
    }
    try {
      const screen = await openScreen();
      if (!screen) return;
      await media.shareScreen(screen);
      announce('You are sharing your screen');
    } catch {
      toast('Could not share the screen. Your browser or system may not allow it.', 'error');
    }
  }

  /** Opens the device dialog. */
  async openDevices(): Promise<void> {
    const media = this.#media;
    const settings = (kind: 'audio' | 'video') =>
      (kind === 'audio'
        ? media?.stream?.getAudioTracks()[0]
        : media?.stream?.getVideoTracks()[0]
      )?.getSettings().deviceId ?? null;
    const camera = media?.stream?.getVideoTracks()[0];
    await openDeviceDialog(
      { camera: settings('video'), microphone: settings('audio'), speaker: this.#speaker },
      (kind, id) => void this.#switchDevice(kind, id),
      camera && canBlurBackground(camera)
        ? {
            on: isBackgroundBlurred(camera),
            set: async (on) => {
              const track = this.#media?.stream?.getVideoTracks()[0];
              const ok = track ? await setBackgroundBlur(track, on) : false;
              announce(
                ok ? (on ? 'Background blurred' : 'Background blur off') : 'Could not change the blur',
              );
              return ok;
            },
          }
        : undefined,
    );
  }

  async #switchDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    writePref(kind, deviceId);
    if (kind === 'speaker') {
      this.#speaker = deviceId;
      await Promise.all(this.#stage.grid.tiles.filter((t) => !t.self).map((t) => t.setSpeaker(deviceId)));
      announce('Speaker changed');
      return;
    }
    const media = this.#media;
    if (!media) return;
    if (kind === 'camera' && media.isMuted('video')) {
      // The camera is off (released): it opens on the chosen device when turned back on.
      announce('Camera changed');
      return;
    }
    try {
      await media.switchDevice(kind === 'camera' ? 'video' : 'audio', deviceId);
      announce(kind === 'camera' ? 'Camera changed' : 'Microphone changed');
    } catch {
      toast(`Could not switch the ${kind}. It may be in use by another app.`, 'error');
    }
  }

  /** Shows how loud we speak now (nothing while muted). */
  tickLevel(): number {
    const own = this.#media && !this.#media.isMuted('audio') ? (this.#selfMeter?.read() ?? 0) : 0;
    this.#selfTile.setLevel(own);
    return own;
  }

  /** Stops following the media and the meter. The app stops media it owns itself. */
  close(): void {
    for (const off of this.#mediaOffs) off();
    this.#selfMeter?.close();
  }
}
