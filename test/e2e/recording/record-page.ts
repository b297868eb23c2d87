/**
 * Browser side of the recording tests: several `ParleyClient`s in one page, each in one SFU room
 * with a small fake camera and a steady 440 Hz tone as its microphone (the fake microphone is
 * silent, and the test measures the composite's loudness), noting every `recording` and
 * `recording-progress` event, and counting decoded frames from getStats(). A member can share a
 * solid-colour canvas as its screen, for the composite's layout to be checked.
 */
import * as Parley from '../../../packages/client/src/index.ts';

interface Member {
  client: Parley.ParleyClient;
  room: Parley.Room;
  notices: Parley.RecordingNotice[];
  progress: Parley.RecordingProgressNotice[];
}

const members = new Map<string, Member>();

async function cameraAndTone(hz: number): Promise<MediaStream> {
  const cam = await navigator.mediaDevices.getUserMedia({
    video: { width: 320, height: 240, frameRate: 15 },
  });
  const ctx = new AudioContext();
  await ctx.resume();
  const osc = ctx.createOscillator();
  osc.frequency.value = hz;
  const gain = ctx.createGain();
  gain.gain.value = 0.3;
  const dest = ctx.createMediaStreamDestination();
  osc.connect(gain).connect(dest);
  osc.start();
  return new MediaStream([...cam.getVideoTracks(), ...dest.stream.getAudioTracks()]);
}

const api = {
  async join(name: string, room: string, hz: number, mode?: 'sfu'): Promise<{ mode: string }> {
    const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const client = await Parley.connect(wsUrl, { name, storage: null });
    const m = { client, notices: [], progress: [] } as unknown as Member;
    client.on('recording', (n) => m.notices.push(n));
    client.on('recording-progress', (p) => m.progress.push(p));
    m.room = await client.join(room, { stream: await cameraAndTone(hz), ...(mode ? { mode } : {}) });
    members.set(name, m);
    return { mode: m.room.mode };
  },
  /** Frames decoded per received video on the SFU subscriber connection. */
  async decoded(name: string): Promise<number[]> {
    const pc = members.get(name)?.room.sfu?.subscriber;
    if (!pc) return [];
    const out: number[] = [];
    for (const s of (await pc.getStats()).values())
      if (s.type === 'inbound-rtp' && s.kind === 'video') out.push(s.framesDecoded ?? 0);
    return out;
  },
  /** Shares a "screen": a canvas painted one solid colour, repainted so frames keep flowing. */
  async share(name: string, colour: string): Promise<void> {
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 360;
    const ctx = canvas.getContext('2d')!;
    const paint = () => {
      ctx.fillStyle = colour;
      ctx.fillRect(0, 0, canvas.width, canvas.height);
    };
    paint();
    setInterval(paint, 100);
    await members.get(name)!.room.media.shareScreen(canvas.captureStream(10));
  },
  start(name: string, room: string): Promise<string> {
    return members.get(name)!.client.startRecording(room);
  },
  async startError(name: string, room: string): Promise<{ code?: string; reason?: string }> {
    try {
      await members.get(name)!.client.startRecording(room);
      return {};
    } catch (err) {
      const e = err as { code?: string; reason?: string };
      return { code: e.code, reason: e.reason };
    }
  },
  stop(name: string, room: string): Promise<string> {
    return members.get(name)!.client.stopRecording(room);
  },
  notices(name: string): Parley.RecordingNotice[] {
    return members.get(name)?.notices ?? [];
  },
  progress(name: string): Parley.RecordingProgressNotice[] {
    return members.get(name)?.progress ?? [];
  },
  closeAll(): void {
    for (const m of members.values()) void m.client.close();
    members.clear();
  },
};

export type RecordApi = typeof api;
declare global {
  interface Window {
    REC: RecordApi;
  }
}
window.REC = api;
