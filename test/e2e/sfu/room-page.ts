/**
 * Browser side of the SDK's large-room tests: several `ParleyClient`s in one page (one per
 * participant, no session storage so they do not share a token), each in the same room through
 * the public Room API. Records `track` / `track-removed` events by member name and stream, and
 * reads what the tests assert from getStats(): decoded frames and frame widths per member on the
 * SFU subscriber connection (or the mesh peer connections), and the publisher's simulcast layers.
 */
import * as Parley from '../../../packages/client/src/index.ts';

interface Received {
  member: string;
  track: MediaStreamTrack;
  stream: MediaStream;
}

interface Member {
  client: Parley.ParleyClient;
  room: Parley.Room;
  /** Live received tracks by track id (from the Room's `track` / `track-removed` events). */
  received: Map<string, Received>;
  /** Track id → the member it came from, for every track ever received. */
  trackNames: Map<string, string>;
  modes: string[];
  speakers: (string | null)[];
  mediaStates: Record<string, { audio: boolean; video: boolean; screen: boolean }>;
  screen: MediaStream | undefined;
  /** Audio elements playing received audio tracks, by track id. */
  audio: Map<string, HTMLAudioElement>;
  screenTimer: ReturnType<typeof setInterval> | undefined;
}

/** What to send: `false` receive-only, `true` a small camera, or a camera size (and audio). */
type Publish = boolean | { width: number; height: number; audio?: boolean };

const members = new Map<string, Member>();

const audioContexts: AudioContext[] = [];

/**
 * The local media for `publish`. Audio is a steady 440 Hz tone from WebAudio (a "talker"): the
 * fake microphone here is silent, so it would never count as speech.
 */
async function localMedia(publish: Publish): Promise<Parley.MediaOptions> {
  if (publish === false) return { media: false };
  if (publish === true) return { media: { video: { width: 320, height: 240, frameRate: 15 }, audio: false } };
  const exact = { width: { exact: publish.width }, height: { exact: publish.height }, frameRate: 15 };
  // Firefox's fake camera refuses exact sizes it does not make: ask for the size as ideal there.
  const video = await navigator.mediaDevices
    .getUserMedia({ video: exact })
    .then((probe) => {
      for (const t of probe.getTracks()) t.stop();
      return exact;
    })
    .catch(() => ({ width: { ideal: publish.width }, height: { ideal: publish.height }, frameRate: 15 }));
  if (!publish.audio) return { media: { video, audio: false } };
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

type VideoIn = { framesDecoded: number; frameWidth: number; frameHeight: number };

/** Inbound video per received track id, summed over the given connections. */
async function inboundByTrack(pcs: RTCPeerConnection[]): Promise<Map<string, VideoIn>> {
  const out = new Map<string, VideoIn>();
  for (const pc of pcs) {
    for (const s of (await pc.getStats()).values()) {
      if (s.type !== 'inbound-rtp' || s.kind !== 'video' || !s.trackIdentifier) continue;
      out.set(s.trackIdentifier, {
        framesDecoded: s.framesDecoded ?? 0,
        frameWidth: s.frameWidth ?? 0,
        frameHeight: s.frameHeight ?? 0,
      });
    }
  }
  return out;
}

function connections(m: Member): RTCPeerConnection[] {
  if (m.room.sfu) return m.room.sfu.subscriber ? [m.room.sfu.subscriber] : [];
  return [...m.room.peers.values()].map((p) => p.pc);
}

const api = {
  async join(name: string, room: string, publish: Publish, mode?: 'mesh' | 'sfu'): Promise<string> {
    const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const client = await Parley.connect(wsUrl, { name, storage: null });
    const r = await client.join(room, { ...(await localMedia(publish)), ...(mode ? { mode } : {}) });
    // A member joining a room already in sfu mode entered it before `join` resolved.
    const m: Member = {
      client,
      room: r,
      received: new Map(),
      trackNames: new Map(),
      modes: r.mode === 'sfu' ? ['sfu'] : [],
      speakers: [],
      mediaStates: {},
      screen: undefined,
      audio: new Map(),
      screenTimer: undefined,
    };
    r.on('track', (peer, track, stream) => {
      m.trackNames.set(track.id, peer.remoteName);
      m.received.set(track.id, { member: peer.remoteName, track, stream });
      // Play received audio as an app would: Chromium decodes remote audio, and so reports its
      // levels, only for tracks that are played out, and measures them after the element's
      // volume (a muted element reads 0). Headless Chromium has no sound card: nothing is heard.
      if (track.kind === 'audio') {
        const el = new Audio();
        el.srcObject = new MediaStream([track]);
        void el.play().catch(() => {});
        m.audio.set(track.id, el);
      }
    });
    r.on('track-removed', (_peer, track) => {
      m.received.delete(track.id);
      const el = m.audio.get(track.id);
      if (el) el.srcObject = null;
      m.audio.delete(track.id);
    });
    r.on('mode', (mode) => m.modes.push(mode));
    r.on('active-speaker', (s) => m.speakers.push(s ?? null));
    r.on('media-state', (peer, state) => {
      m.mediaStates[peer.remoteName] = { ...state };
    });
    members.set(name, m);
    return r.mode;
  },

  mode(name: string): string | undefined {
    return members.get(name)?.room.mode;
  },

  /** Every `mode` event so far (plus `sfu` when the room was joined in sfu mode). */
  modes(name: string): string[] {
    return members.get(name)?.modes ?? [];
  },

  /** How many times the room (re)entered sfu mode (the `mode` event). */
  sfuStarts(name: string): number {
    return members.get(name)?.modes.filter((x) => x === 'sfu').length ?? 0;
  },

  /** Frames decoded per member through the SFU subscriber connection. */
  async sfuDecoded(name: string): Promise<Record<string, number>> {
    const m = members.get(name)!;
    const pc = m.room.sfu?.subscriber;
    const out: Record<string, number> = {};
    if (!pc) return out;
    for (const [id, s] of await inboundByTrack([pc])) {
      const from = m.trackNames.get(id);
      if (from) out[from] = (out[from] ?? 0) + s.framesDecoded;
    }
    return out;
  },

  /** Frames decoded per member on the mesh peer connections. */
  async meshDecoded(name: string): Promise<Record<string, number>> {
    const m = members.get(name)!;
    const out: Record<string, number> = {};
    for (const peer of m.room.peers.values()) {
      for (const s of (await peer.pc.getStats()).values()) {
        if (s.type !== 'inbound-rtp' || s.kind !== 'video') continue;
        out[peer.remoteName] = (out[peer.remoteName] ?? 0) + (s.framesDecoded ?? 0);
      }
    }
    return out;
  },

  /**
   * The live video tracks `name` receives, each with its member, stream id and (from getStats
   * on the connection carrying it) frames decoded and frame size.
   */
  async videoIn(
    name: string,
  ): Promise<{ member: string; stream: string; track: string; framesDecoded: number; frameWidth: number }[]> {
    const m = members.get(name)!;
    const stats = await inboundByTrack(connections(m));
    const out = [];
    for (const r of m.received.values()) {
      if (r.track.kind !== 'video') continue;
      const s = stats.get(r.track.id);
      out.push({
        member: r.member,
        stream: r.stream.id,
        track: r.track.id,
        framesDecoded: s?.framesDecoded ?? 0,
        frameWidth: s?.frameWidth ?? 0,
      });
    }
    return out;
  },

  /** The publisher's outbound video layers (rid, frame size, frames encoded) from getStats. */
  async layersOut(
    name: string,
  ): Promise<{ rid: string; frameWidth: number; framesEncoded: number; active: boolean }[]> {
    const pc = members.get(name)?.room.sfu?.publisher;
    if (!pc) return [];
    const out = [];
    for (const s of (await pc.getStats()).values()) {
      if (s.type !== 'outbound-rtp' || s.kind !== 'video') continue;
      out.push({
        rid: s.rid ?? '',
        frameWidth: s.frameWidth ?? 0,
        framesEncoded: s.framesEncoded ?? 0,
        active: s.active !== false,
      });
    }
    return out.sort((a, b) => a.rid.localeCompare(b.rid));
  },

  /** Received audio per connection stream: level figures and the member the SDK maps it to. */
  async audioIn(name: string): Promise<Record<string, unknown>[]> {
    const m = members.get(name)!;
    const out = [];
    for (const pc of connections(m)) {
      for (const s of (await pc.getStats()).values()) {
        if (s.type !== 'inbound-rtp' || s.kind !== 'audio') continue;
        out.push({
          mid: s.mid,
          trackIdentifier: s.trackIdentifier,
          member: m.room.sfu?.memberOf({ trackIdentifier: s.trackIdentifier, mid: s.mid }) ?? null,
          audioLevel: s.audioLevel,
          totalAudioEnergy: s.totalAudioEnergy,
          totalSamplesDuration: s.totalSamplesDuration,
          packetsReceived: s.packetsReceived,
          bytesReceived: s.bytesReceived,
        });
      }
    }
    return out;
  },

  /** Moderation (issue 21): `name`, a host, mutes `member`. */
  async hostMute(name: string, member: string): Promise<void> {
    await members.get(name)!.room.moderation.mute(member);
  },

  /** A modified client: turns its audio track back on without telling the room. */
  forceAudioOn(name: string): boolean {
    const track = members.get(name)!.room.media.stream?.getAudioTracks()[0];
    if (track) track.enabled = true;
    return track?.enabled === true;
  },

  /** The member turns its microphone back on, as the SDK's users do (the room hears it). */
  async unmuteSelf(name: string): Promise<void> {
    const room = members.get(name)!.room;
    room.media.setMuted('audio', false);
    // The SDK reports it (`participant.state`); wait until the server has taken it.
    for (let i = 0; i < 100 && room.moderation.participant(name)?.muted !== false; i++) {
      await new Promise((done) => setTimeout(done, 50));
    }
  },

  /** The local audio source's level figures (media-source stats of the sending connection). */
  async audioOut(name: string): Promise<Record<string, unknown>[]> {
    const m = members.get(name)!;
    const pcs = m.room.sfu?.publisher ? [m.room.sfu.publisher] : [...m.room.peers.values()].map((p) => p.pc);
    const out = [];
    for (const pc of pcs) {
      for (const s of (await pc.getStats()).values()) {
        if (
          (s.type === 'media-source' && s.kind === 'audio') ||
          (s.type === 'outbound-rtp' && s.kind === 'audio')
        )
          out.push({
            type: s.type,
            audioLevel: s.audioLevel,
            totalAudioEnergy: s.totalAudioEnergy,
            bytesSent: s.bytesSent,
          });
      }
    }
    return out;
  },

  /** The local camera's size as the browser opened it. */
  cameraSize(name: string): { width?: number; height?: number } | null {
    const t = members.get(name)?.room.media.stream?.getVideoTracks()[0];
    if (!t) return null;
    const { width, height } = t.getSettings();
    return { width, height };
  },

  setView(name: string, member: string, view: { width: number; height: number } | 'hidden'): void {
    members.get(name)!.room.setVideoView(member, view);
  },

  /** What the SFU was last told about `member` (layer, paused) and the link cap. */
  layerOf(name: string, member: string): { layer: unknown; cap: number | undefined } {
    const sfu = members.get(name)?.room.sfu;
    return { layer: sfu?.layerOf(member) ?? null, cap: sfu?.linkCap };
  },

  /** Shares a "screen": a canvas (640x360) animated so the encoder has frames to send. */
  async shareScreen(name: string): Promise<string> {
    const m = members.get(name)!;
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 360;
    const ctx = canvas.getContext('2d')!;
    let n = 0;
    m.screenTimer = setInterval(() => {
      n++;
      ctx.fillStyle = `hsl(${(n * 7) % 360} 70% 50%)`;
      ctx.fillRect(0, 0, 640, 360);
      ctx.fillStyle = '#fff';
      ctx.fillText(String(n), 20 + (n % 500), 180);
    }, 66);
    const stream = canvas.captureStream(15);
    m.screen = stream;
    await m.room.media.shareScreen(stream);
    return stream.id;
  },

  async stopScreenShare(name: string): Promise<void> {
    const m = members.get(name)!;
    clearInterval(m.screenTimer);
    await m.room.media.stopScreenShare();
  },

  mediaState(name: string, member: string): { audio: boolean; video: boolean; screen: boolean } | null {
    return members.get(name)?.mediaStates[member] ?? null;
  },

  activeSpeaker(name: string): string | null {
    return members.get(name)?.room.activeSpeaker ?? null;
  },

  speakers(name: string): (string | null)[] {
    return members.get(name)?.speakers ?? [];
  },

  async leave(name: string): Promise<void> {
    const m = members.get(name);
    if (!m) return;
    members.delete(name);
    clearInterval(m.screenTimer);
    await m.room.leave();
    m.client.close();
  },

  closeAll(): void {
    for (const m of members.values()) {
      clearInterval(m.screenTimer);
      m.client.close();
    }
    members.clear();
    for (const ctx of audioContexts.splice(0)) void ctx.close();
  },
};

/** The page's API, as the tests see it (`window.ROOMS`). */
export type RoomsApi = typeof api;
declare global {
  interface Window {
    ROOMS: RoomsApi;
  }
}

window.ROOMS = api;
