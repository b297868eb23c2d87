/**
 * Call exchange scenario: each pair repeatedly sets up a call as a browser would signal it.
 * A sends an offer and trickles its candidates right after; B, on the offer, sends its answer and
 * its candidates. The exchange is complete when A has the answer and all of B's candidates and B
 * has the offer and all of A's; the pair then starts the next one at once.
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
import { bodyJson, type PayloadKind, readKind, readTimestampMicros } from '../payloads.ts';
import { processMemoryKiB } from '../proc.ts';
import { LatencyRecorder, round3 } from '../stats.ts';
import type { TargetSpec } from '../targets.ts';
import type { CallSpec, CellResult, Timing } from './spec.ts';

export async function runCallExchange(
  target: TargetSpec,
  port: number,
  serverPid: number,
  spec: CallSpec,
  timing: Timing,
): Promise<CellResult> {
  const clients = spec.pairs * 2;
  const names = Array.from({ length: clients }, (_, c) => `p${c >> 1}${c & 1 ? 'b' : 'a'}`);
  const bodies: Record<'offer' | 'answer', string> = {
    offer: bodyJson('offer', spec.offerBytes),
    answer: bodyJson('answer', spec.answerBytes),
  };
  const candidates = Array.from({ length: spec.candidatesEachWay }, (_, i) => bodyJson('candidate', 0, i));
  const code: Record<PayloadKind, string> = { relay: 'r', offer: 'o', answer: 'a', candidate: 'c' };
  const heads = (kind: PayloadKind) => names.map((_, c) => `${target.head(names[c ^ 1]!, kind)}{"bts":`);
  const head = { offer: heads('offer'), answer: heads('answer'), candidate: heads('candidate') };
  const frame = (from: number, kind: 'offer' | 'answer' | 'candidate', body: string, seq: number) =>
    `${head[kind][from]}${nowMicros()},"s":${seq},"k":"${code[kind]}","body":${body}}${target.tail}`;

  const startedAt = new Float64Array(spec.pairs);
  const pending = new Uint16Array(spec.pairs); // frames of the current exchange not yet received
  const exchanges = new Uint32Array(spec.pairs);
  const other: Record<string, number> = {};
  const durations = new LatencyRecorder();
  const expected = 2 * (1 + spec.candidatesEachWay);
  let phase: 'warmup' | 'measure' | 'stop' = 'warmup';
  let windowFrames = 0;
  let windowExchanges = 0;
  let totalSent = 0;
  let totalReceived = 0;
  let set: Awaited<ReturnType<typeof connectAll>> | undefined;

  const sendAll = (from: number, kind: 'offer' | 'answer', pair: number) => {
    const ws = set!.sockets[from]!;
    const seq = exchanges[pair]!;
    ws.send(frame(from, kind, bodies[kind], seq));
    for (const c of candidates) ws.send(frame(from, 'candidate', c, seq));
    totalSent += 1 + candidates.length;
  };
  const startExchange = (pair: number) => {
    startedAt[pair] = nowMicros();
    pending[pair] = expected;
    sendAll(2 * pair, 'offer', pair);
  };

  set = await connectAll(target, {
    port,
    names,
    concurrency: timing.connectConcurrency,
    loginTimeoutMs: timing.loginTimeoutMs,
    room: (c) => `pair-${c >> 1}`,
    onFrame: (to, data) => {
      if (readTimestampMicros(data) < 0) return countOther(other, data);
      totalReceived++;
      if (phase === 'measure') windowFrames++;
      const pair = to >> 1;
      if (readKind(data) === 'o') sendAll(to, 'answer', pair);
      if (--pending[pair]! > 0) return;
      exchanges[pair]!++;
      if (phase === 'measure') {
        windowExchanges++;
        durations.record((nowMicros() - startedAt[pair]!) / 1000);
      }
      if (phase !== 'stop') startExchange(pair);
    },
  });

  try {
    for (let p = 0; p < spec.pairs; p++) startExchange(p);
    const warmup = await warmUp(timing, () => totalReceived);
    const start = markWindow(serverPid);
    phase = 'measure';
    await sleep(timing.measureMs);
    const end = markWindow(serverPid);
    phase = 'stop';
    const window = windowFigures(start, end);
    const drained = await waitUntil(() => totalReceived >= totalSent, timing.drainMs);
    const mem = processMemoryKiB(serverPid);
    const d = durations.summary();
    return {
      scenario: spec.id,
      target: target.name,
      ok: true,
      figures: {
        cpuMsPer1kMsgs: round3((window.serverCpuMs * 1000) / Math.max(1, windowFrames)),
        exchangesPerS: round3((windowExchanges * 1000) / window.wallMs),
        msgsPerS: Math.round((windowFrames * 1000) / window.wallMs),
        exchangeP50Ms: d.p50,
        exchangeP99Ms: d.p99,
        lost: totalSent - totalReceived,
        serverCpuPercent: window.serverCpuPercent,
        serverRssMiB: round3(mem.rssKiB / 1024),
      },
      detail: {
        window,
        warmup,
        messagesInWindow: windowFrames,
        exchangesInWindow: windowExchanges,
        messagesPerExchange: expected,
        totalSent,
        totalReceived,
        drained,
        exchangeMs: d,
        frameBytesSent: {
          offer: Buffer.byteLength(frame(0, 'offer', bodies.offer, 0)),
          answer: Buffer.byteLength(frame(1, 'answer', bodies.answer, 0)),
          candidate: Buffer.byteLength(frame(0, 'candidate', candidates[0]!, 0)),
        },
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
