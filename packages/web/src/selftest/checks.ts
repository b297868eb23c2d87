/**
 * The self-test's checks. Each is a small object with a title, a description and `run()`, which
 * resolves to pass, fail or skip (not configured) with a plain explanation and, when something is
 * wrong, what to do about it. They run in the page, against the server that served it.
 */
import { decodeServer, encode, PROTOCOL_VERSIONS } from '@parley/protocol';
import { iceUrls, onlyUrls, signalingUrl } from '../app/endpoints.ts';
import { inviteToken } from '../app/invite.ts';
import { describeMediaProblem, MediaAccessError, openUserMedia } from '../media/local-media.ts';
import { fetchSelfTestIce, IceRateLimitedError, type SelfTestIce } from './ice.ts';
import { type Reach, stunReach } from './reach.ts';

/** Outcome of one check. */
export interface CheckResult {
  status: 'pass' | 'fail' | 'skip';
  /** What was found, in one or two sentences. */
  detail: string;
  /** What to do, when the result is not a plain pass. */
  advice?: string;
  /** For the STUN and TURN checks that pass: how far calls reach (see reach.ts). */
  reach?: Reach;
}

/** Shared between checks of one run (the camera stream feeds the loopback call). */
export interface CheckContext {
  stream: MediaStream | null;
  signal: AbortSignal;
}

/** One self-test check. */
export interface Check {
  id: string;
  title: string;
  description: string;
  run(ctx: CheckContext): Promise<CheckResult>;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new DOMException('aborted', 'AbortError'));
      },
      { once: true },
    );
  });
}

/** Polls `fn` every 150 ms until it returns a value or `timeoutMs` passes (then null). */
async function poll<T>(
  fn: () => Promise<T | null>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<T | null> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const value = await fn();
    if (value !== null) return value;
    await sleep(150, signal);
  }
  return null;
}

/** A moving test pattern, used instead of the camera when there is none. */
function syntheticVideo(): MediaStream {
  const canvas = document.createElement('canvas');
  canvas.width = 320;
  canvas.height = 180;
  const g = canvas.getContext('2d')!;
  let frame = 0;
  const timer = setInterval(() => {
    frame++;
    g.fillStyle = '#14181e';
    g.fillRect(0, 0, 320, 180);
    g.fillStyle = '#5b8def';
    g.fillRect((frame * 4) % 320, 70, 40, 40);
  }, 50);
  const stream = canvas.captureStream(20);
  stream.getVideoTracks()[0]?.addEventListener('ended', () => clearInterval(timer));
  return stream;
}

/** Connects two peer connections in this page; candidates go straight across. */
function linkPair(config: RTCConfiguration): {
  a: RTCPeerConnection;
  b: RTCPeerConnection;
  errors: number[];
} {
  const a = new RTCPeerConnection(config);
  const b = new RTCPeerConnection(config);
  const errors: number[] = [];
  a.onicecandidate = (e) => void b.addIceCandidate(e.candidate ?? undefined).catch(() => undefined);
  b.onicecandidate = (e) => void a.addIceCandidate(e.candidate ?? undefined).catch(() => undefined);
  const onError = (e: Event) => errors.push((e as RTCPeerConnectionIceErrorEvent).errorCode);
  a.addEventListener('icecandidateerror', onError);
  b.addEventListener('icecandidateerror', onError);
  return { a, b, errors };
}

async function negotiate(a: RTCPeerConnection, b: RTCPeerConnection): Promise<void> {
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription!);
}

/** The local candidate type of the selected pair (host, srflx, prflx, relay), if connected. */
async function selectedLocalType(pc: RTCPeerConnection): Promise<string | null> {
  const stats = await pc.getStats();
  for (const s of stats.values()) {
    if (s.type !== 'transport' || !s.selectedCandidatePairId) continue;
    const pair = stats.get(s.selectedCandidatePairId);
    const local = pair ? stats.get(pair.localCandidateId) : undefined;
    if (local) return String(local.candidateType);
  }
  for (const s of stats.values()) {
    if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated) {
      const local = stats.get(s.localCandidateId);
      if (local) return String(local.candidateType);
    }
  }
  return null;
}

export const cameraCheck: Check = {
  id: 'media',
  title: 'Camera and microphone',
  description: 'Opens your camera and microphone and shows them here.',
  async run(ctx) {
    try {
      const stream = await openUserMedia({ audio: true, video: true });
      ctx.stream = stream;
      const cam = stream.getVideoTracks()[0];
      const mic = stream.getAudioTracks()[0];
      if (cam && mic)
        return {
          status: 'pass',
          detail: `Using “${cam.label || 'camera'}” and “${mic.label || 'microphone'}”.`,
        };
      if (cam)
        return {
          status: 'fail',
          detail: `The camera works (“${cam.label || 'camera'}”) but no microphone could be opened.`,
          advice: 'Plug in or enable a microphone, or check its permission in the address bar.',
        };
      return {
        status: 'fail',
        detail: `The microphone works (“${mic?.label || 'microphone'}”) but no camera could be opened.`,
        advice:
          'Plug in or enable a camera, or check its permission in the address bar. Calls still work with audio only.',
      };
    } catch (err) {
      const problem = err instanceof MediaAccessError ? err.problem : 'other';
      const text = describeMediaProblem(problem);
      return { status: 'fail', detail: `${text.title}.`, advice: text.advice };
    }
  },
};

export const loopbackCheck: Check = {
  id: 'loopback',
  title: 'Video call inside this page',
  description:
    'Sends your video between two connections in this page, to prove this browser can encode and decode.',
  async run(ctx) {
    const stream = ctx.stream && ctx.stream.getVideoTracks().length > 0 ? ctx.stream : syntheticVideo();
    const { a, b } = linkPair({});
    try {
      for (const track of stream.getVideoTracks()) a.addTrack(track, stream);
      await negotiate(a, b);
      const frames = await poll(
        async () => {
          const stats = await b.getStats();
          for (const s of stats.values()) {
            if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 5)
              return s.framesDecoded as number;
          }
          return null;
        },
        10_000,
        ctx.signal,
      );
      if (frames === null)
        return {
          status: 'fail',
          detail: 'The two connections did not exchange video within 10 seconds.',
          advice:
            'Update your browser. If it persists, hardware video acceleration may be broken: try another browser.',
        };
      const note = stream === ctx.stream ? 'your camera' : 'a test pattern (no camera)';
      return {
        status: 'pass',
        detail: `Video from ${note} was encoded, sent and decoded (${frames} frames).`,
      };
    } finally {
      a.close();
      b.close();
      if (stream !== ctx.stream) for (const t of stream.getTracks()) t.stop();
    }
  },
};

export const signalingCheck: Check = {
  id: 'signaling',
  title: 'Signaling server',
  description: 'Opens the connection to this Parley server and logs in with a throwaway name.',
  run(ctx) {
    const name = `selftest-${Math.random().toString(36).slice(2, 10)}`;
    const started = performance.now();
    return new Promise<CheckResult>((resolve) => {
      let done = false;
      let ws: WebSocket;
      const finish = (result: CheckResult) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        try {
          if (ws.readyState === WebSocket.OPEN) ws.send(encode({ type: 'bye' }));
          ws.close(1000);
        } catch {
          // Closing a socket that failed to open can throw; nothing is left to clean.
        }
        resolve(result);
      };
      const unreachable: CheckResult = {
        status: 'fail',
        detail: 'Could not open a WebSocket to the server at /ws.',
        advice:
          'If Parley runs behind a proxy, it must forward WebSocket upgrades on /ws (see the deploy notes). A firewall or VPN may also block it.',
      };
      const timer = setTimeout(
        () =>
          finish({
            status: 'fail',
            detail: 'The server did not answer within 8 seconds.',
            advice: 'The server may be overloaded or a proxy may hold the connection. Try again in a minute.',
          }),
        8000,
      );
      ctx.signal.addEventListener('abort', () => finish(unreachable), { once: true });
      try {
        ws = new WebSocket(signalingUrl());
      } catch {
        finish(unreachable);
        return;
      }
      ws.onopen = () => ws.send(encode({ type: 'hello', id: 1, versions: [...PROTOCOL_VERSIONS], name }));
      ws.onerror = () => finish(unreachable);
      ws.onclose = () => finish(unreachable);
      ws.onmessage = (e) => {
        const decoded = decodeServer(typeof e.data === 'string' ? e.data : '');
        if (!decoded.ok) return;
        const msg = decoded.msg;
        if (msg.type === 'welcome') {
          const ms = Math.round(performance.now() - started);
          finish({
            status: 'pass',
            detail: `Connected and logged in, in ${ms} ms (protocol v${msg.version}).`,
          });
        } else if (msg.type === 'error' && msg.code === 'UNAUTHORIZED') {
          // Access control is on: the server answered, which is what this check is about.
          const ms = Math.round(performance.now() - started);
          finish({
            status: 'pass',
            detail: `The server answered in ${ms} ms; it only lets invited people sign in (access tokens are on).`,
          });
        } else if (msg.type === 'error') {
          finish({
            status: 'fail',
            detail: `The server refused the login: ${msg.message} (${msg.code}).`,
            advice:
              msg.code === 'UNAUTHORIZED'
                ? 'This server requires an access token; ask its administrator for a link with one.'
                : 'Try again; if it persists, the server administrator can look up the code in its logs.',
          });
        }
      };
    });
  },
};

/** ICE servers from the server, fetched once per run and shared by the STUN and TURN checks. */
let icePromise: Promise<SelfTestIce> | null = null;

/** Forgets the ICE servers fetched by a previous run. */
export function resetIceCache(): void {
  icePromise = null;
}

function iceServers(signal: AbortSignal) {
  icePromise ??= fetchSelfTestIce(signal, inviteToken());
  return icePromise;
}

/** The server's ICE servers, or the check result that says /ice could not be loaded. */
async function iceServersOrFailure(signal: AbortSignal): Promise<SelfTestIce | CheckResult> {
  try {
    return await iceServers(signal);
  } catch (error) {
    if (error instanceof IceRateLimitedError)
      return {
        status: 'fail',
        detail:
          'The server refused to hand out ICE servers again so soon (too many requests from your address).',
        advice: `Run the test again in ${error.retryAfterS} seconds.`,
      };
    return {
      status: 'fail',
      detail: 'Could not load the ICE configuration from /ice.',
      advice: 'The server or a proxy in front of it does not answer GET /ice. Check that the server is up.',
    };
  }
}

export const stunCheck: Check = {
  id: 'stun',
  title: 'STUN (finding your public address)',
  description: 'Asks the STUN servers this Parley server recommends for your public address.',
  async run(ctx) {
    const ice = await iceServersOrFailure(ctx.signal);
    if (!('servers' in ice)) return ice;
    const stun = onlyUrls(ice.servers, /^stuns?:/);
    if (stun.length === 0)
      return {
        status: 'skip',
        detail:
          'Not configured: this server recommends no STUN server, so calls connect within this network only.',
        advice:
          'Parley answers STUN itself on UDP port 3478 unless that is turned off (PARLEY_STUN_PORT=off) or the port was taken when it started (its /healthz then says "stun": "unavailable"). The administrator frees the port, opens it on the firewall, or sets PARLEY_STUN_URLS.',
      };
    const pc = new RTCPeerConnection({ iceServers: stun, iceCandidatePoolSize: 0 });
    const errors: { code: number; url: string }[] = [];
    const srflx: string[] = [];
    const srflxAddresses: string[] = [];
    pc.addEventListener('icecandidateerror', (e) => {
      const ev = e as RTCPeerConnectionIceErrorEvent;
      errors.push({ code: ev.errorCode, url: ev.url });
    });
    pc.addEventListener('icecandidate', (e) => {
      if (e.candidate?.type === 'srflx') {
        srflx.push(e.candidate.candidate);
        // `address` where the browser has it, else the fifth field of the candidate line.
        srflxAddresses.push(e.candidate.address ?? e.candidate.candidate.split(' ')[4] ?? '');
      }
    });
    try {
      pc.createDataChannel('probe');
      await pc.setLocalDescription();
      const complete = await poll(
        async () => (pc.iceGatheringState === 'complete' || srflx.length > 0 ? true : null),
        10_000,
        ctx.signal,
      );
      const urls = iceUrls(stun).join(', ');
      const reach = stunReach(srflxAddresses, iceUrls(stun));
      const insideOnly =
        ' That server is inside your network, so this does not show that calls to other networks work.';
      if (srflx.length > 0)
        return reach === 'internet'
          ? { status: 'pass', reach, detail: `${urls} answered with your public address.` }
          : {
              status: 'pass',
              reach,
              detail: `${urls} answered with an address inside a private network.${insideOnly}`,
            };
      if (errors.length > 0)
        return {
          status: 'fail',
          detail: `${urls} did not answer (error ${errors[0]!.code}).`,
          advice:
            'A firewall may block UDP to the STUN port (usually 3478). Calls inside one network still work; across networks, a TURN relay is needed.',
        };
      if (complete)
        return reach === 'internet'
          ? {
              status: 'pass',
              reach,
              detail: `${urls} answered; your address seen from there is your own (no NAT in between).`,
            }
          : {
              status: 'pass',
              reach,
              detail: `${urls} answered; your address seen from there is your own.${insideOnly}`,
            };
      return {
        status: 'fail',
        detail: `No answer from ${urls} within 10 seconds.`,
        advice: 'A firewall may block UDP to the STUN port (usually 3478).',
      };
    } finally {
      pc.close();
    }
  },
};

export const turnCheck: Check = {
  id: 'turn',
  title: 'TURN relay',
  description:
    'Makes a call inside this page that may only go through the TURN relay, with the credentials the server hands out.',
  async run(ctx) {
    const ice = await iceServersOrFailure(ctx.signal);
    if (!('servers' in ice)) return ice;
    const turn = onlyUrls(ice.servers, /^turns?:/);
    if (turn.length === 0 && ice.turnWithheld === 'address-budget')
      return {
        status: 'skip',
        detail:
          'This server has a TURN relay, but hands its credentials to a limited number of sessions per network address, and yours are in use.',
        advice:
          'Calls from this network still work wherever a direct connection is possible. Try again in about ten minutes, when credentials given earlier have expired; the administrator can raise PARLEY_TURN_PER_ADDRESS or require access tokens.',
      };
    if (turn.length === 0)
      return {
        status: 'skip',
        detail: 'Not configured: this server hands out no TURN relay.',
        advice:
          'Without a relay, people behind strict firewalls or some mobile networks cannot connect. The administrator sets PARLEY_TURN_URLS and PARLEY_TURN_SECRET (see the coturn notes). On a server that requires invitations, open the self-test from your invitation link: relay credentials are only given with one.',
      };
    if (turn.some((s) => !s.username || !s.credential))
      return {
        status: 'fail',
        detail: 'The TURN entries have no credentials.',
        advice: 'The administrator must set PARLEY_TURN_SECRET to coturn’s static-auth-secret.',
      };
    const { a, b, errors } = linkPair({ iceServers: turn, iceTransportPolicy: 'relay' });
    try {
      const channel = a.createDataChannel('relay-probe');
      const echoed = new Promise<boolean>((resolve) => {
        b.ondatachannel = (e) => {
          e.channel.onmessage = (m) => e.channel.send(String(m.data));
        };
        channel.onopen = () => channel.send('ping');
        channel.onmessage = (m) => resolve(m.data === 'ping');
      });
      await negotiate(a, b);
      const ok = await Promise.race([echoed, sleep(12_000, ctx.signal).then(() => false)]);
      const urls = iceUrls(turn).join(', ');
      if (ok) {
        const type = await selectedLocalType(a);
        return {
          status: 'pass',
          reach: 'relay',
          detail: `Data went through the relay at ${urls}${type ? ` (candidate: ${type})` : ''}.`,
        };
      }
      if (errors.includes(401))
        return {
          status: 'fail',
          detail: `The relay at ${urls} refused the credentials (401).`,
          advice:
            'PARLEY_TURN_SECRET on the Parley server must equal static-auth-secret in turnserver.conf, and both clocks must be right.',
        };
      if (errors.includes(403))
        return {
          status: 'fail',
          detail: `The relay at ${urls} refused to relay to this address (403).`,
          advice: 'coturn’s denied-peer-ip rules block this route; check turnserver.conf.',
        };
      return {
        status: 'fail',
        detail: `No relayed connection through ${urls} within 12 seconds.`,
        advice:
          'The TURN port (3478 UDP and TCP, or 443 for turns:) may be blocked by a firewall, or the relay ports (49152–65535 UDP) are closed on the TURN host.',
      };
    } finally {
      a.close();
      b.close();
    }
  },
};

/** The checks, in the order they run. */
export const CHECKS: readonly Check[] = [cameraCheck, loopbackCheck, signalingCheck, stunCheck, turnCheck];
