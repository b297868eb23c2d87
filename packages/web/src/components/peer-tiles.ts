/**
 * One remote person's tiles on the stage: their camera tile (with its speaking meter) and a tile
 * per screen they share, fed with their tracks and media state. Which incoming stream is the
 * camera and which a screen share is decided here (see {@link PeerTiles.addTrack}).
 *
 * A component: may import ui/, media/ and other components.
 */
import type { RemoteMediaState } from '@parley/client';
import { createLevelMeter, type LevelMeter } from '../media/audio.ts';
import { announce } from '../ui/announce.ts';
import type { VideoGrid } from './video-grid.ts';
import { VideoTile } from './video-tile.ts';

/** A person's camera tile and screen tiles in a grid. */
export class PeerTiles {
  readonly name: string;
  readonly tile: VideoTile;
  readonly #grid: VideoGrid;
  #mainStream: MediaStream | null = null;
  readonly #screens = new Map<string, VideoTile>();
  #meter: LevelMeter | null = null;
  #meterStream: MediaStream | null = null;

  /** Adds `name`'s camera tile to `grid` at once, so the grid never jumps when video arrives. */
  constructor(grid: VideoGrid, name: string, speaker: string | null) {
    this.#grid = grid;
    this.name = name;
    this.tile = new VideoTile(name);
    this.tile.setBadge('Connecting…', 'warn');
    if (speaker) void this.tile.setSpeaker(speaker);
    grid.add(this.tile);
  }

  /**
   * A track arrived. `announced` is the person's last media state: one sharing only a screen
   * (no camera or microphone) sends only the screen.
   */
  addTrack(track: MediaStreamTrack, stream: MediaStream, announced: RemoteMediaState | null): void {
    // A peer's first stream is its camera and microphone; a later video stream is a screen share.
    // A peer without camera and microphone that shares its screen sends only the screen.
    // Through the SFU, a member received afresh (e.g. when their screen share starts) comes back
    // on new streams: a main stream left without tracks gives way to the next one, as the first.
    const screenOnly = announced?.screen === true && !announced.audio && !announced.video;
    const vacant = this.#mainStream !== null && this.#mainStream.getTracks().length === 0;
    if ((!this.#mainStream || vacant) && !screenOnly && !this.#screens.has(stream.id))
      this.#mainStream = stream;
    if (stream === this.#mainStream) {
      this.tile.setStream(stream);
      if (track.kind === 'audio' && this.#meterStream !== stream) {
        this.#meter?.close();
        this.#meterStream = stream;
        this.#meter = createLevelMeter(stream);
      }
      return;
    }
    if (track.kind !== 'video') return;
    let tile = this.#screens.get(stream.id);
    if (!tile) {
      tile = new VideoTile(this.name, { screen: true, label: `${this.name}’s screen` });
      tile.setVideoOff(false);
      tile.setAudioMuted(true);
      this.#screens.set(stream.id, tile);
      this.#grid.add(tile);
      announce(`${this.name} is sharing their screen`);
    }
    tile.setStream(stream);
  }

  /** A track of `stream` went away. */
  removeTrack(stream: MediaStream): void {
    const tile = this.#screens.get(stream.id);
    if (tile && stream.getVideoTracks().length === 0) {
      this.#screens.delete(stream.id);
      this.#grid.remove(tile);
      announce(`${this.name} stopped sharing their screen`);
    } else if (stream === this.#mainStream) {
      this.tile.setStream(stream);
    }
  }

  /** Mute, camera and screen state; a share that stopped takes its tiles away. */
  setMediaState(state: RemoteMediaState): void {
    this.tile.setAudioMuted(!state.audio);
    this.tile.setVideoOff(!state.video);
    if (!state.screen) this.#dropScreens();
  }

  /** Media now arrives on new connections (a mode change): the next stream is the camera again. */
  resetStreams(): void {
    this.#mainStream = null;
    this.#dropScreens();
  }

  /** Names each of the person's track ids (camera, or "(screen)"), for the connection panel. */
  nameTracks(names: Map<string, string>): void {
    for (const t of this.#mainStream?.getTracks() ?? []) names.set(t.id, this.name);
    for (const tile of this.#screens.values())
      for (const t of tile.stream?.getTracks() ?? []) names.set(t.id, `${this.name} (screen)`);
  }

  /** Shows how loud the person speaks now, and returns it (0..1). */
  tickLevel(): number {
    const level = this.#meter?.read() ?? 0;
    this.tile.setLevel(level);
    return level;
  }

  /** Takes every tile away and stops the meter. */
  remove(): void {
    this.#meter?.close();
    this.#grid.remove(this.tile);
    for (const tile of this.#screens.values()) this.#grid.remove(tile);
  }

  #dropScreens(): void {
    if (this.#screens.size === 0) return;
    for (const tile of this.#screens.values()) this.#grid.remove(tile);
    this.#screens.clear();
  }
}
