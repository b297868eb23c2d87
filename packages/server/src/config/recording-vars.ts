/**
 * The configuration variables of recording (issue 23): who may record SFU rooms, where the files
 * go, how long they stay, the disk-space guard, the post-processing bounds and the HTTP token
 * that lists, downloads and deletes them. See docs/DEPLOY.md, "Recording".
 *
 * May import: config/parsers.ts.
 */
import { z } from 'zod';
import { int, splitList, type VarSpec } from './parsers.ts';

/** Who may start a recording. */
export const RECORDING_POLICIES = ['off', 'hosts', 'anyone'] as const;

/** Recording. */
export const RECORDING_VARS = {
  PARLEY_RECORDING: {
    key: 'recording',
    schema: z.enum(RECORDING_POLICIES).default('off'),
    shown: '`off`',
    doc: 'Who may record an SFU room: `off` (nobody), `hosts` (room hosts, and holders of an access token with `"record": true`), `anyone` (every member). Every member is told while a room is recorded. Needs `PARLEY_JANUS_URL` (Janus on this machine) and `PARLEY_RECORDINGS_DIR`.',
  },
  PARLEY_RECORDINGS_DIR: {
    key: 'recordingsDir',
    schema: z.string().min(1).optional(),
    shown: '(unset)',
    doc: "Folder of recordings (absolute path; Janus, on this machine, must be able to write it). Each recording gets a subfolder: Janus's raw `.mjr` dumps, `tracks/` (one WebM/Opus file per person and kind) and `composite.webm` (or `.mp4`). Unset: no recording.",
  },
  PARLEY_RECORDING_FORBIDDEN_ROOMS: {
    key: 'recordingForbiddenRooms',
    schema: z.string().transform(splitList).default([]),
    shown: '(empty)',
    doc: 'Rooms that are never recorded, comma-separated; `*` matches any run of characters (`hr-*`).',
  },
  PARLEY_RECORDING_MAX_S: {
    key: 'recordingMaxS',
    schema: int(1, 86_400).default(14_400),
    shown: '`14400`',
    doc: 'Longest recording, seconds: the server stops it then (members are told, reason `limit`).',
  },
  PARLEY_RECORDING_MIN_FREE_MB: {
    key: 'recordingMinFreeMb',
    schema: int(0, 10_000_000).default(2048),
    shown: '`2048`',
    doc: 'Disk-space guard: a recording is refused (`recording_disk_low`) when the recordings folder has less free space than this, and running ones stop cleanly (reason `disk`) when it falls below half of it.',
  },
  PARLEY_RECORDING_RETENTION_DAYS: {
    key: 'recordingRetentionDays',
    schema: int(0, 36_500).default(30),
    shown: '`30`',
    doc: 'Recordings older than this many days are deleted (checked hourly and at startup); `0`: kept until deleted.',
  },
  PARLEY_RECORDING_FORMAT: {
    key: 'recordingFormat',
    schema: z.enum(['webm', 'mp4']).default('webm'),
    shown: '`webm`',
    doc: 'Container and codecs of the composite: `webm` (VP8 + Opus) or `mp4` (H.264 + AAC, plays everywhere, costs more CPU). The per-person tracks stay WebM/Opus.',
  },
  PARLEY_RECORDING_JOBS: {
    key: 'recordingJobs',
    schema: int(1, 16).default(1),
    shown: '`1`',
    doc: 'Post-processing jobs (`janus-pp-rec`, `ffmpeg`) at once; the rest wait their turn.',
  },
  PARLEY_RECORDING_NICE: {
    key: 'recordingNice',
    schema: int(0, 19).default(10),
    shown: '`10`',
    doc: 'The `nice` level post-processing runs at, so calls keep the CPU first.',
  },
  PARLEY_RECORDING_LINK_TTL_S: {
    key: 'recordingLinkTtlS',
    schema: int(60, 604_800).default(3600),
    shown: '`3600`',
    doc: "Life of the signed download links the room's hosts and the member who started a recording get when it is processed (`recording.progress` `done`), seconds. They are signed with a key derived from `PARLEY_AUTH_SECRET` (else `PARLEY_RECORDINGS_TOKEN`; with neither, a random key: links then stop working at a restart).",
  },
  PARLEY_RECORDINGS_TOKEN: {
    key: 'recordingsToken',
    schema: z.string().min(16, 'must be at least 16 characters').optional(),
    shown: '(unset)',
    doc: 'Bearer token for `GET /recordings` (list), `GET /recordings/<id>/<file>` (download, with ranges) and `DELETE /recordings/<id>`. Unset: those paths answer 404.',
    secret: true,
  },
} as const satisfies Record<string, VarSpec>;
