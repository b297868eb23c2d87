/**
 * Recording in a room (issue 23), on screen: the persistent "Recording" chip and banner whenever
 * the server says the room is recorded (whoever started it: consent is not optional), and the
 * Record button. In a room through the SFU the button asks the server to record
 * (`startRecording`), and its progress reaches the person who started it and the hosts (with a
 * signed download link when done); in a peer-to-peer room
 * it records in this browser what this person sees and hears (media/browser-recorder.ts), to a
 * file they keep.
 *
 * The controller layer: may import app/, components/, screens/, media/ and ui/.
 */
import type { ParleyClient, RecordingProgressNotice, Room } from '@parley/client';
import { type BrowserRecording, recordInBrowser } from '../media/browser-recorder.ts';
import type { CallScreen } from '../screens/call-screen.ts';
import { announce, toast } from '../ui/announce.ts';
import { h } from '../ui/dom.ts';
import { icon } from '../ui/icons.ts';

/** Why the server refused, in words (by `reason`, see docs/PROTOCOL.md). */
const REFUSALS: Record<string, string> = {
  recording_off: 'This server does not record rooms.',
  recording_not_allowed: 'Only hosts may record this room.',
  recording_room_forbidden: 'Recording this room is not allowed.',
  recording_e2ee: 'This room is end-to-end encrypted, so the server cannot record it.',
  recording_disk_low: 'The server is low on disk space; try again later.',
  recording_not_sfu: 'This room is peer to peer; it is recorded in your browser instead.',
  recording_busy: 'The room is already being recorded.',
};

/** Why the server stopped a recording on its own. */
const STOPPED: Record<string, string> = {
  empty: 'everyone left',
  disk: 'the server ran low on disk space',
  limit: 'it reached the time limit',
  shutdown: 'the server is restarting',
};

/** The header's recording chip and button, wired to the room. */
export interface RoomRecordingParts {
  readonly chip: HTMLElement;
  readonly button: HTMLButtonElement;
}

/** Builds the chip and the button (hidden until the room is joined). */
export function recordingParts(): RoomRecordingParts {
  const chip = h(
    'span',
    { class: 'chip recording-chip', hidden: true, role: 'status', title: 'This room is being recorded' },
    icon('record'),
    'Recording',
  );
  const button = h(
    'button',
    { class: 'button ghost record-button', type: 'button', hidden: true, 'aria-pressed': 'false' },
    icon('record'),
    h('span', { class: 'button-text' }, 'Record'),
  ) as HTMLButtonElement;
  return { chip, button };
}

/** Follows the room's recording state and drives the button. */
export function followRecording(
  client: ParleyClient,
  room: Room,
  screen: CallScreen,
  parts: RoomRecordingParts,
  media: { root: HTMLElement; own: MediaStream | null },
): () => void {
  const { chip, button } = parts;
  const label = button.querySelector('.button-text')!;
  let serverOn = false;
  let local: BrowserRecording | undefined;
  const audio = new Map<string, MediaStreamTrack>();
  const setButton = (on: boolean, text: string) => {
    button.setAttribute('aria-pressed', String(on));
    button.setAttribute('aria-label', text);
    label.textContent = on ? 'Stop recording' : 'Record';
  };
  setButton(false, 'Record this room');
  button.hidden = false;

  const onState = (n: { room: string; active: boolean; by?: string; reason?: string }) => {
    if (n.room !== room.name) return;
    serverOn = n.active;
    chip.hidden = !n.active && !local;
    if (n.active) {
      const who = n.by === client.name ? 'you' : (n.by ?? 'the server');
      screen.showBanner('recording', `This room is being recorded (started by ${who}).`, 'warn');
      announce(`Recording started by ${who}`, 'assertive');
      setButton(true, 'Stop the room recording');
    } else {
      screen.clearBanner('recording');
      const why = n.reason ? ` because ${STOPPED[n.reason] ?? n.reason}` : n.by ? ` by ${n.by}` : '';
      toast(`Recording stopped${why}.`, 'info');
      setButton(false, 'Record this room');
    }
  };
  const onProgress = (p: RecordingProgressNotice) => {
    if (p.room !== room.name) return;
    const composite = p.download?.links.find((l) => l.file.startsWith('composite.'));
    if (p.stage === 'done' && composite && p.download) {
      // Hosts (and whoever started it) get a signed link: no token needed, until it expires.
      const until = new Date(p.download.expires).toLocaleTimeString([], {
        hour: '2-digit',
        minute: '2-digit',
      });
      const link = h(
        'a',
        { class: 'button ghost', href: composite.url, download: '', 'aria-label': 'Download the recording' },
        'Download',
      );
      screen.showBanner('recording-ready', `The recording is ready; the link works until ${until}.`, 'info', [
        link,
      ]);
      announce('The recording is ready to download', 'polite');
    } else if (p.stage === 'done')
      toast(`The recording is ready (${p.files?.length ?? 0} files on the server).`, 'success');
    else if (p.stage === 'failed')
      toast('The recording could not be processed; the server keeps its raw files.', 'error');
    else chip.title = `Recording stopped; the server is ${p.stage} it (${Math.round(p.percent)}%)`;
  };
  client.on('recording', onState);
  client.on('recording-progress', onProgress);
  room.on('track', (_peer, track) => {
    if (track.kind === 'audio') audio.set(track.id, track);
  });
  room.on('track-removed', (_peer, track) => audio.delete(track.id));
  // Someone records in their browser: the same notice, their name in it.
  const inBrowser = new Set<string>();
  room.on('message', (from, data) => {
    const d = data as { kind?: unknown; active?: unknown } | null;
    if (typeof d !== 'object' || d === null || d.kind !== 'recording') return;
    if (d.active === true) inBrowser.add(from);
    else inBrowser.delete(from);
    const names = [...inBrowser].join(', ');
    if (names) {
      screen.showBanner(
        'recording-peer',
        `${names} ${inBrowser.size > 1 ? 'are' : 'is'} recording this room.`,
        'warn',
      );
      announce(`${from} is recording this room`, 'assertive');
    } else screen.clearBanner('recording-peer');
    chip.hidden = !serverOn && !local && inBrowser.size === 0;
  });

  const toggleLocal = async () => {
    if (local) {
      const r = local;
      local = undefined;
      chip.hidden = !serverOn;
      screen.clearBanner('recording-local');
      setButton(false, 'Record this room');
      room.send({ kind: 'recording', active: false });
      await r.stop();
      toast(r.sink === 'file' ? 'Recording saved.' : 'Recording downloaded.', 'success');
      return;
    }
    local = await recordInBrowser({
      fileName: `${room.name}-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.webm`,
      videos: () => [...media.root.querySelectorAll('video')],
      audio: () => [...audio.values(), ...(media.own?.getAudioTracks() ?? [])],
    });
    chip.hidden = false;
    screen.showBanner(
      'recording-local',
      'You are recording this room in your browser. Tell the others.',
      'warn',
    );
    setButton(true, 'Stop recording in this browser');
    // Everyone is told, as with a server recording (a room message the others' apps show).
    room.send({ kind: 'recording', active: true });
  };

  button.onclick = () => {
    void (async () => {
      button.disabled = true;
      try {
        if (room.mode !== 'sfu' || local) await toggleLocal();
        else if (serverOn) await client.stopRecording(room.name);
        else await client.startRecording(room.name);
      } catch (err) {
        const e = err as { reason?: string; message?: string; name?: string };
        if (e.name === 'AbortError') return; // no file chosen
        toast(REFUSALS[e.reason ?? ''] ?? `Could not record: ${e.message ?? err}`, 'error');
      } finally {
        button.disabled = false;
      }
    })();
  };
  return () => {
    client.off('recording', onState);
    client.off('recording-progress', onProgress);
    void local?.stop();
  };
}
