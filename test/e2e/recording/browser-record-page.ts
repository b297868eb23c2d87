/**
 * Browser side of the browser-recording test: two `ParleyClient`s in one page join a mesh room
 * (a camera and a tone each), the received videos play in <video> elements, and the web app's
 * recorder (media/browser-recorder.ts) records what the first one sees and hears. The recording
 * comes back to the test as base64.
 */
import * as Parley from '../../../packages/client/src/index.ts';
import { type BrowserRecording, recordInBrowser } from '../../../packages/web/src/media/browser-recorder.ts';

const clients: Parley.ParleyClient[] = [];
const videos: HTMLVideoElement[] = [];
const audio: MediaStreamTrack[] = [];
let recording: BrowserRecording | undefined;

async function cameraAndTone(): Promise<MediaStream> {
  const cam = await navigator.mediaDevices.getUserMedia({
    video: { width: 320, height: 240, frameRate: 15 },
  });
  const ctx = new AudioContext();
  await ctx.resume();
  const osc = ctx.createOscillator();
  const dest = ctx.createMediaStreamDestination();
  osc.connect(dest);
  osc.start();
  return new MediaStream([...cam.getVideoTracks(), ...dest.stream.getAudioTracks()]);
}

const api = {
  async join(name: string, room: string, watch: boolean): Promise<string> {
    const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const client = await Parley.connect(wsUrl, { name, storage: null });
    clients.push(client);
    const r = await client.join(room, { stream: await cameraAndTone() });
    if (watch)
      r.on('track', (_peer, track, stream) => {
        if (track.kind === 'audio') audio.push(track);
        else {
          const v = document.createElement('video');
          v.muted = true;
          v.autoplay = true;
          v.srcObject = stream;
          document.body.append(v);
          void v.play();
          videos.push(v);
        }
      });
    return r.mode;
  },
  playing(): number {
    return videos.filter((v) => v.videoWidth > 0).length;
  },
  async start(): Promise<string> {
    recording = await recordInBrowser({
      fileName: 'test.webm',
      sink: 'download',
      videos: () => videos,
      audio: () => audio,
    });
    return recording.sink;
  },
  bytes(): number {
    return recording?.bytes ?? 0;
  },
  async stop(): Promise<string> {
    const blob = await recording!.stop();
    const buf = new Uint8Array(await blob!.arrayBuffer());
    let s = '';
    for (let i = 0; i < buf.length; i += 0x8000) s += String.fromCharCode(...buf.subarray(i, i + 0x8000));
    return btoa(s);
  },
  closeAll(): void {
    for (const c of clients) void c.close();
  },
};

declare global {
  interface Window {
    BREC: typeof api;
  }
}
window.BREC = api;
