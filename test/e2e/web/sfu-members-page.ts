/**
 * Browser side of the web app's large-room test: the other members of the room, as SDK clients
 * in one page (one `ParleyClient` each, no session storage so they do not share a token). Each
 * one watches only the web app person's camera, at a small tile size, and says every other
 * member is hidden (so the SFU pauses those: two cores cannot decode every stream nine times).
 * Decoded frames are read from each member's SFU subscriber connection, named by the Room's
 * `track` events.
 */
import * as Parley from '../../../packages/client/src/index.ts';

interface Member {
  client: Parley.ParleyClient;
  room: Parley.Room;
  /** Track id → the member it came from. */
  trackNames: Map<string, string>;
}

const members = new Map<string, Member>();
const audioContexts: AudioContext[] = [];

/**
 * What a member sends: nothing, a small camera, or a small camera and a steady 440 Hz tone (a
 * "talker": the fake microphone here is silent, so it would never count as speech).
 */
async function localMedia(publish: boolean | 'talker'): Promise<Parley.MediaOptions> {
  const video = { width: 320, height: 240, frameRate: 15 };
  if (publish === false) return { media: false };
  if (publish === true) return { media: { video, audio: false } };
  const cam = await navigator.mediaDevices.getUserMedia({ video });
  const ctx = new AudioContext();
  audioContexts.push(ctx);
  await ctx.resume();
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  gain.gain.value = 0.3;
  const dest = ctx.createMediaStreamDestination();
  osc.connect(gain).connect(dest);
  osc.start();
  return { stream: new MediaStream([...cam.getVideoTracks(), ...dest.stream.getAudioTracks()]) };
}

const api = {
  /**
   * Joins `room` as `name`: receive-only, publishing a small camera, or a camera and a tone
   * (`talker`). `watch`
   * is the one member whose video this member looks at; `everyone` lists the room's names.
   */
  async join(
    name: string,
    room: string,
    publish: boolean | 'talker',
    watch: string,
    everyone: string[],
  ): Promise<string> {
    const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const client = await Parley.connect(wsUrl, { name, storage: null });
    const r = await client.join(room, await localMedia(publish));
    for (const other of everyone) {
      if (other === name) continue;
      r.setVideoView(other, other === watch ? { width: 320, height: 180 } : 'hidden');
    }
    const m: Member = { client, room: r, trackNames: new Map() };
    r.on('track', (peer, track) => m.trackNames.set(track.id, peer.remoteName));
    members.set(name, m);
    return r.mode;
  },

  mode(name: string): string | undefined {
    return members.get(name)?.room.mode;
  },

  /**
   * Frames decoded per member by `name`, through the SFU subscriber connection and the peer
   * connections (mesh), for the tracks the Room announced.
   */
  async decoded(name: string): Promise<Record<string, number>> {
    const m = members.get(name);
    const out: Record<string, number> = {};
    if (!m) return out;
    const pcs = [m.room.sfu?.subscriber, ...[...m.room.peers.values()].map((p) => p.pc)];
    for (const pc of pcs) {
      if (!pc || pc.connectionState === 'closed') continue;
      for (const s of (await pc.getStats()).values()) {
        if (s.type !== 'inbound-rtp' || s.kind !== 'video') continue;
        const from = m.trackNames.get(s.trackIdentifier);
        if (from) out[from] = (out[from] ?? 0) + (s.framesDecoded ?? 0);
      }
    }
    return out;
  },

  /** What `name`'s room looks like (for failure messages). */
  describe(name: string): unknown {
    const m = members.get(name);
    if (!m) return null;
    const sfu = m.room.sfu;
    return {
      mode: m.room.mode,
      feeds: sfu?.feeds,
      subscriber: sfu?.subscriber?.connectionState,
      publisher: sfu?.publisher?.connectionState,
      tracks: [...m.trackNames.values()],
      layers: Object.fromEntries((sfu?.feeds ?? []).map((f) => [f, sfu?.layerOf(f)])),
    };
  },

  /**
   * `name` shares a "screen": a 640×360 canvas with a moving bar, 10 frames per second
   * (headless Chromium has no screen to capture).
   */
  async shareScreen(name: string): Promise<void> {
    const m = members.get(name)!;
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 360;
    const g = canvas.getContext('2d')!;
    let x = 0;
    const timer = setInterval(() => {
      g.fillStyle = '#203040';
      g.fillRect(0, 0, 640, 360);
      g.fillStyle = '#e8b04f';
      g.fillRect(x, 140, 80, 80);
      x = (x + 16) % 560;
    }, 100);
    const stream = canvas.captureStream(10);
    stream.getVideoTracks()[0]!.addEventListener('ended', () => clearInterval(timer));
    await m.room.media.shareScreen(stream);
  },

  /** `name` stops sharing its screen. */
  async stopScreenShare(name: string): Promise<void> {
    await members.get(name)?.room.media.stopScreenShare();
  },

  /** `name` leaves the room and signs out. */
  async leave(name: string): Promise<void> {
    const m = members.get(name);
    if (!m) return;
    members.delete(name);
    await m.room.leave();
    m.client.close();
  },

  closeAll(): void {
    for (const m of members.values()) m.client.close();
    members.clear();
    for (const ctx of audioContexts.splice(0)) void ctx.close();
  },
};

(window as unknown as { MEMBERS: typeof api }).MEMBERS = api;
