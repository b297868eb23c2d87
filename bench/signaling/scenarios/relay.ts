/**
 * Relay scenario: pairs of clients send each other payloads in a closed loop. Each direction of
 * each pair keeps `windowPerDirection` frames in flight: when B receives a frame from A, A sends
 * the next one at once. Only relayed frames cross the wire (sender and receiver live in this
 * process, so no acknowledgements are needed and one-way latency is read on one clock).
 */
import { connectAll } from '../connections.ts';
import {
  countOther,
  markWindow,
  nowMicros,
  sleep,
  waitUntil,
  warmUp,
  windowFigures,
} from '../measure-window.ts';
import { bodyJson, readTimestampMicros } from '../payloads.ts';
import { processMemoryKiB } from '../proc.ts';
import { LatencyRecorder, round3 } from '../stats.ts';
import type { TargetSpec } from '../targets.ts';
import type { CellResult, RelaySpec, Timing } from './spec.ts';

export async function runRelay(
  target: TargetSpec,
  port: number,
  serverPid: number,
  spec: RelaySpec,
  timing: Timing,
): Promise<CellResult> {
  const clients = spec.pairs * 2;
  // Client 2i is pair i's "a" side and 2i+1 its "b" side: a client's partner is index ^ 1.
  const names = Array.from({ length: clients }, (_, c) => `p${c >> 1}${c & 1 ? 'b' : 'a'}`);
  const body = bodyJson('relay', spec.frameBytes);
  const heads = names.map((_, c) => `${target.head(names[c ^ 1]!, 'relay')}{"bts":`);
  const tail = `,"k":"r","body":${body}}${target.tail}`;
  const seq = new Uint32Array(clients);
  const sent = new Float64Array(clients);
  const received = new Float64Array(clients);
  const other: Record<string, number> = {};
  const latency = new LatencyRecorder();
  let phase: 'warmup' | 'measure' | 'stop' = 'warmup';
  let windowReceived = 0;
  let totalSent = 0;
  let totalReceived = 0;

  let set: Awaited<ReturnType<typeof connectAll>> | undefined;
  const send = (from: number) => {
    set!.sockets[from]!.send(`${heads[from]}${nowMicros()},"s":${seq[from]!++}${tail}`);
    sent[from]!++;
    totalSent++;
  };
  set = await connectAll(target, {
    port,
    names,
    concurrency: timing.connectConcurrency,
    loginTimeoutMs: timing.loginTimeoutMs,
    room: (c) => `pair-${c >> 1}`,
    onFrame: (to, frame) => {
      const ts = readTimestampMicros(frame);
      if (ts < 0) return countOther(other, frame);
      received[to]!++;
      totalReceived++;
      if (phase === 'measure') {
        windowReceived++;
        latency.record((nowMicros() - ts) / 1000);
      }
      if (phase !== 'stop') send(to ^ 1);
    },
  });

  try {
    const sampleFrame = `${heads[0]}${nowMicros()},"s":0${tail}`;
    for (let w = 0; w < spec.windowPerDirection; w++) for (let c = 0; c < clients; c++) send(c);
    const warmup = await warmUp(timing, () => totalReceived);
    const start = markWindow(serverPid);
    phase = 'measure';
    await sleep(timing.measureMs);
    const end = markWindow(serverPid);
    phase = 'stop';
    const window = windowFigures(start, end);
    const drained = await waitUntil(() => totalReceived >= totalSent, timing.drainMs);
    const mem = processMemoryKiB(serverPid);
    const lat = latency.summary();
    return {
      scenario: spec.id,
      target: target.name,
      ok: true,
      figures: {
        cpuMsPer1kMsgs: round3((window.serverCpuMs * 1000) / Math.max(1, windowReceived)),
        msgsPerS: Math.round((windowReceived * 1000) / window.wallMs),
        latencyP50Ms: lat.p50,
        latencyP99Ms: lat.p99,
        latencyMaxMs: lat.max,
        lost: totalSent - totalReceived,
        serverCpuPercent: window.serverCpuPercent,
        serverRssMiB: round3(mem.rssKiB / 1024),
      },
      detail: {
        window,
        warmup,
        messagesInWindow: windowReceived,
        totalSent,
        totalReceived,
        drained,
        latencyMs: lat,
        frameBytesSent: Buffer.byteLength(sampleFrame),
        inFlight: spec.windowPerDirection * clients,
        otherFrames: other,
        setupMs: round3(set.setupMs),
        health: set.health,
        serverHwmMiB: round3(mem.hwmKiB / 1024),
      },
    };
  } finally {
    set.terminateAll();
  }
}
