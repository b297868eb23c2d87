/**
 * Paced scenario: the same pairs and payloads as the relay scenario, but open-loop at a fixed
 * total rate well below what any target can carry. Every target then does the same work per
 * second, so neither CPU per message (no target gets to batch more because it is slower) nor
 * latency (no queues build up) depends on how fast the server is: it is the steady, light
 * regime a signaling server lives in.
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
import type { CellResult, PacedSpec, Timing } from './spec.ts';

/** How often the sender wakes up to send what is due, in milliseconds. */
const TICK_MS = 2;

export async function runPaced(
  target: TargetSpec,
  port: number,
  serverPid: number,
  spec: PacedSpec,
  timing: Timing,
): Promise<CellResult> {
  const clients = spec.pairs * 2;
  const names = Array.from({ length: clients }, (_, c) => `p${c >> 1}${c & 1 ? 'b' : 'a'}`);
  const body = bodyJson('relay', spec.frameBytes);
  const heads = names.map((_, c) => `${target.head(names[c ^ 1]!, 'relay')}{"bts":`);
  const tail = `,"k":"r","body":${body}}${target.tail}`;
  // Open loop, but bounded: past one second's worth in flight the server is not keeping up, and
  // further sends are skipped (and counted) rather than queued without limit.
  const maxInFlight = spec.ratePerS;
  const other: Record<string, number> = {};
  const latency = new LatencyRecorder();
  let measuring = false;
  let windowReceived = 0;
  let totalSent = 0;
  let totalReceived = 0;
  let skipped = 0;
  let seq = 0;

  const set = await connectAll(target, {
    port,
    names,
    concurrency: timing.connectConcurrency,
    loginTimeoutMs: timing.loginTimeoutMs,
    room: (c) => `pair-${c >> 1}`,
    onFrame: (_to, frame) => {
      const ts = readTimestampMicros(frame);
      if (ts < 0) return countOther(other, frame);
      totalReceived++;
      if (measuring) {
        windowReceived++;
        latency.record((nowMicros() - ts) / 1000);
      }
    },
  });

  let due = 0;
  let next = 0;
  const began = performance.now();
  const timer = setInterval(() => {
    const target = Math.floor(((performance.now() - began) * spec.ratePerS) / 1000);
    for (; due < target; due++) {
      if (totalSent - totalReceived >= maxInFlight) {
        skipped++;
        continue;
      }
      // Round-robin over clients, so every stream gets the same share of the rate.
      const from = next;
      next = (next + 1) % clients;
      set.sockets[from]!.send(`${heads[from]}${nowMicros()},"s":${seq++}${tail}`);
      totalSent++;
    }
  }, TICK_MS);

  try {
    const warmup = await warmUp(timing, () => totalReceived);
    const start = markWindow(serverPid);
    measuring = true;
    await sleep(timing.measureMs);
    const end = markWindow(serverPid);
    measuring = false;
    clearInterval(timer);
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
        skipped,
        serverCpuPercent: window.serverCpuPercent,
        serverRssMiB: round3(mem.rssKiB / 1024),
      },
      detail: {
        window,
        warmup,
        ratePerS: spec.ratePerS,
        messagesInWindow: windowReceived,
        totalSent,
        totalReceived,
        drained,
        latencyMs: lat,
        frameBytesSent: Buffer.byteLength(`${heads[0]}${nowMicros()},"s":0${tail}`),
        otherFrames: other,
        setupMs: round3(set.setupMs),
        health: set.health,
        serverHwmMiB: round3(mem.hwmKiB / 1024),
      },
    };
  } finally {
    clearInterval(timer);
    set.terminateAll();
  }
}
