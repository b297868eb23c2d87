/**
 * Recording of SFU rooms (issue 23): the requests that start and stop the server's recording of a
 * room, their replies, the notice every member gets (consent: nobody is recorded without being
 * told), and the post-processing progress the member who started it sees. See docs/PROTOCOL.md,
 * "Recording".
 *
 * Defined apart from messages.ts, which spreads these schemas into its two unions; this file
 * imports only the schema library and limits.ts (not messages.ts, which imports it).
 */
import * as z from 'zod/mini';
import { LIMITS, NAME_PATTERN } from './limits.ts';

/** Bounds of the recording messages. */
export const RECORDING_LIMITS = {
  /** Recording ids: the server makes them (`<room>-<utc time>-<random>`), clients echo them. */
  idMaxChars: 128,
  /** Files named in one `recording.progress` (the composite and one per person and kind). */
  filesMax: 256,
} as const;

const pattern = z.regex(NAME_PATTERN, 'letters, digits, "_", "." and "-" only');
const Room = z.string().check(z.minLength(1), z.maxLength(LIMITS.roomMaxChars), pattern);
const Name = z.string().check(z.minLength(1), z.maxLength(LIMITS.nameMaxChars), pattern);
const Id = z.union([
  z.string().check(z.minLength(1), z.maxLength(LIMITS.idMaxChars)),
  z.number().check(z.int(), z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER)),
]);
export const RecordingId = z
  .string()
  .check(z.minLength(1), z.maxLength(RECORDING_LIMITS.idMaxChars), pattern);

const req = <T extends string, S extends z.core.$ZodLooseShape>(type: T, shape: S) =>
  z.strictObject({ type: z.literal(type), id: z.optional(Id), ...shape });
const evt = <T extends string, S extends z.core.$ZodLooseShape>(type: T, shape: S) =>
  z.object({ type: z.literal(type), re: z.optional(Id), ...shape });

/** Start recording an SFU room you are a member of. Replies `recording.started`. */
export const RecordingStart = req('recording.start', { room: Room });
/** Stop the room's recording (anyone who may start one may stop it). Replies `recording.stopped`. */
export const RecordingStop = req('recording.stop', { room: Room });

/** The reply to `recording.start`: the recording runs, under this id. */
export const RecordingStarted = evt('recording.started', { room: Room, recording: RecordingId });
/** The reply to `recording.stop`: recording ended; post-processing is queued. */
export const RecordingStopped = evt('recording.stopped', { room: Room, recording: RecordingId });
/**
 * To every member of the room (and to each newcomer right after `room.joined`) when recording
 * starts or stops, whoever asked and why (`stopped` also by the server: room emptied, disk low,
 * shutdown, time limit): apps must show it for as long as `active` is true.
 */
export const RecordingState = evt('recording.state', {
  room: Room,
  active: z.boolean(),
  /** Who started it (absent when the server stopped it on its own). */
  by: z.optional(Name),
  /** Why it stopped, when the server stopped it: `empty`, `disk`, `shutdown`, `limit`, `sfu`. */
  reason: z.optional(z.string().check(z.maxLength(32))),
});
/** Post-processing of a stopped recording, to the member who started it and the room's hosts (if online). */
export const RecordingProgress = evt('recording.progress', {
  room: Room,
  recording: RecordingId,
  stage: z.enum(['queued', 'converting', 'composing', 'done', 'failed']),
  /** 0–100, how far the current stage is. */
  percent: z.number().check(z.minimum(0), z.maximum(100)),
  /** With `done`: the files made, relative to the recording (`composite.webm`, `tracks/…`). */
  files: z.optional(
    z.array(z.string().check(z.maxLength(256))).check(z.maxLength(RECORDING_LIMITS.filesMax)),
  ),
  /**
   * With `done`, to the room's hosts and the member who started it: signed download links (paths
   * on the server, no token needed) for each file, valid until `expires` (Unix ms).
   */
  download: z.optional(
    z.object({
      expires: z.number(),
      links: z
        .array(
          z.object({
            file: z.string().check(z.maxLength(256)),
            url: z.string().check(z.maxLength(1024)),
          }),
        )
        .check(z.maxLength(RECORDING_LIMITS.filesMax)),
    }),
  ),
});

/** Client schemas, spread into messages.ts's CLIENT_SCHEMAS. */
export const RECORDING_CLIENT_SCHEMAS = {
  'recording.start': RecordingStart,
  'recording.stop': RecordingStop,
} as const;

/** Server schemas, spread into messages.ts's SERVER_SCHEMAS. */
export const RECORDING_SERVER_SCHEMAS = {
  'recording.started': RecordingStarted,
  'recording.stopped': RecordingStopped,
  'recording.state': RecordingState,
  'recording.progress': RecordingProgress,
} as const;
