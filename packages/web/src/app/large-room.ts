/**
 * The app's use of the SDK's large-room API in one place: joining a room as an SFU room from the
 * start, following the room's mode (`mesh` ↔ `sfu`), the active speaker, and telling the SDK how
 * each member's camera tile is shown (`room.setVideoView`), so it can pick simulcast layers and
 * pause video nobody sees. See docs/SDK.md, "Large rooms (SFU)".
 */
import type { E2eeSetup, MediaOptions, ParleyClient, Room } from '@parley/client';
import type { RoomMode } from '@parley/protocol';
import type { VideoView } from '../media/video-views.ts';

/** What the app passes to `client.join` besides the room name. */
export type JoinArgs = MediaOptions & { password?: string; e2ee?: E2eeSetup; requireE2ee?: boolean };

/**
 * What the person sees when the room's media changes path: `previous` is the mode before
 * (undefined when just joined). The SDK says `sfu` again after the SFU restarted.
 */
export function describeModeChange(mode: RoomMode, previous: RoomMode | undefined): string {
  if (mode === 'mesh') return 'Small room again: video goes straight between you — a short freeze is normal.';
  if (previous === undefined)
    return 'Large room: video goes through the server, so everyone sends it only once.';
  if (previous === 'sfu') return 'Video through the server is back after an interruption.';
  return 'Large room: video now goes through the server — a short freeze is normal.';
}

/** Joins `room`; `large` asks the server to create it as an SFU room from the start. */
export function joinRoom(
  client: Pick<ParleyClient, 'join'>,
  room: string,
  options: JoinArgs,
  large: boolean,
): Promise<Room> {
  return client.join(room, large ? { ...options, mode: 'sfu' } : options);
}

/** Tells the SDK how `name`'s camera tile is shown (size in CSS pixels, or hidden). */
export function reportVideoView(room: Room, name: string, view: VideoView): void {
  if (room.state === 'left') return;
  room.setVideoView(name, view);
}

/** Calls `fn` with the active speaker now and whenever it changes; returns an unsubscribe. */
export function followActiveSpeaker(room: Room, fn: (name: string | undefined) => void): () => void {
  fn(room.activeSpeaker);
  return room.on('active-speaker', fn);
}

/** Calls `fn` whenever the room's media changes path (`sfu` or back to `mesh`). */
export function followMode(room: Room, fn: (mode: RoomMode) => void): () => void {
  return room.on('mode', fn);
}
