/**
 * What every node knows of a room's recording: the mark in the room's shared moderation state
 * (rooms/room-control.ts, kept by the directory, so Redis when the room spans nodes), which a
 * newcomer's node reads to tell it the room is recorded and a second start on any node is refused
 * by; and the room's hosts, who all see post-processing progress. The mark is written with the
 * directory's versioned set, as moderation writes the rest, and goes with the room when it empties.
 *
 * May import: the directory's and the recorder's types, and room-control.ts.
 */
import type { Directory } from '../directory/directory.ts';
import type { RecordingShared } from '../recording/room-recorder.ts';
import { hostsOf, parseControl } from './room-control.ts';

const ATTEMPTS = 8;

/** The shared recording state over `directory`. */
export function recordingShared(
  directory: Pick<Directory, 'roomControl' | 'roomControlSet'>,
): RecordingShared {
  /** Read-change-write; `change` returns false to write nothing. */
  const update = async (room: string, change: (s: ReturnType<typeof parseControl>) => boolean) => {
    for (let i = 0; i < ATTEMPTS; i++) {
      const { text, version } = await directory.roomControl(room);
      const s = parseControl(text);
      if (!change(s)) return false;
      if (await directory.roomControlSet(room, version, JSON.stringify(s))) return true;
    }
    throw new Error(`recording mark of ${room}: the room changed too often`);
  };
  return {
    recording: async (room) => parseControl((await directory.roomControl(room)).text).recording,
    claim: (room, mark) =>
      update(room, (s) => {
        if (s.recording) return false;
        s.recording = { id: mark.id, by: mark.by };
        return true;
      }),
    release: async (room, id) => {
      await update(room, (s) => {
        if (s.recording?.id !== id) return false;
        delete s.recording;
        return true;
      });
    },
    hosts: async (room) => hostsOf(parseControl((await directory.roomControl(room)).text)),
  };
}
