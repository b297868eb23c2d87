/**
 * Paced floods (issue 15, finding 10): one socket sends faster than its sustained frame rate, at
 * an even pace, so that its token bucket never stays empty for long. How long until the server
 * closes it, with which close code, and how many error replies it sent meanwhile; a socket still
 * open at the cap is "not cut" (null).
 *
 *   frames: `ping` frames at `multiplier` × the server's PARLEY_RATE_PER_S.
 *   bytes:  ~60 KB `room.message` frames to a room with one listener, at a frame rate under the
 *           sustained rate: only a budget in bytes can catch it.
 */

import { sleep } from '../signaling/measure-window.ts';
import { round3 } from '../signaling/stats.ts';
import { BenchClient } from './client.ts';
import { startParley, type Tree } from './server.ts';

export interface FloodSpec {
  id: string;
  kind: 'frames' | 'bytes';
  /** Frames per second the flooder sends. */
  framesPerS: number;
  /** Bytes of `data` in each byte-flood frame. */
  frameBytes?: number;
  capS: number;
}

export interface FloodResult {
  id: string;
  target: string;
  ok: boolean;
  error?: string;
  figures: Record<string, number | null>;
  detail: Record<string, unknown>;
}

/** How often the sender wakes up to send what is due. */
const TICK_MS = 2;

/**
 * Most frames one wake-up may send: what is due in two ticks, at least 2. When the sender was
 * late (its event loop stalled on a busy machine), the frames it missed are skipped and counted,
 * not sent in a burst: a burst would be a different attack (one the strike counter catches), and
 * the figure is about a flood that stays paced.
 */
const maxPerWakeUp = (framesPerS: number) => Math.max(2, Math.ceil((2 * TICK_MS * framesPerS) / 1000));

export async function flood(tree: Tree, spec: FloodSpec, env: Record<string, string>): Promise<FloodResult> {
  const server = await startParley(tree, { PARLEY_LOG_LEVEL: 'warn', PARLEY_DRAIN_MS: '500', ...env });
  const clients: BenchClient[] = [];
  try {
    const logins = { retries: 0 };
    const deadline = performance.now() + 30_000;
    const flooder = await BenchClient.open(server.port, 'flooder', deadline, logins);
    clients.push(flooder);
    let listener: BenchClient | undefined;
    let frame = '{"type":"ping"}';
    if (spec.kind === 'bytes') {
      listener = await BenchClient.open(server.port, 'listener', deadline, logins);
      clients.push(listener);
      await listener.join('flood');
      await flooder.join('flood');
      frame = `{"type":"room.message","room":"flood","data":${JSON.stringify('x'.repeat(spec.frameBytes ?? 61_440))}}`;
    }
    // `scheduled` counts frames whose time has come: sent, or skipped (late or backpressure).
    let scheduled = 0;
    let sent = 0;
    let bytes = 0;
    let skippedLate = 0;
    let skippedForBackpressure = 0;
    const perWakeUp = maxPerWakeUp(spec.framesPerS);
    const began = performance.now();
    const capMs = spec.capS * 1000;
    while (!flooder.closed && performance.now() - began < capMs) {
      await sleep(TICK_MS);
      const due = Math.floor(((performance.now() - began) * spec.framesPerS) / 1000);
      // Over 1 MiB unsent in our own socket: the server is not reading; the pace is kept by
      // skipping (counted), not by queueing here and bursting later.
      if (flooder.ws.bufferedAmount > 2 ** 20) {
        skippedForBackpressure += due - scheduled;
        scheduled = due;
        continue;
      }
      if (due - scheduled > perWakeUp) {
        skippedLate += due - scheduled - perWakeUp;
        scheduled = due - perWakeUp;
      }
      for (; scheduled < due && !flooder.closed; scheduled++) {
        flooder.ws.send(frame);
        sent++;
        bytes += frame.length;
      }
    }
    const closed = flooder.closed;
    // Let the error replies in flight arrive before counting them.
    await sleep(200);
    const errors = flooder.errors;
    return {
      id: spec.id,
      target: tree.target,
      ok: true,
      figures: {
        cutAfterS: closed ? round3((closed.atMs - began) / 1000) : null,
        closeCode: closed ? closed.code : null,
        errorReplies: Object.values(errors).reduce((a, b) => a + b, 0),
        framesSent: sent,
        ...(spec.kind === 'frames'
          ? { pongs: flooder.received.pong ?? 0 }
          : { delivered: listener?.received['room.message'] ?? 0 }),
      },
      detail: {
        framesPerS: spec.framesPerS,
        frameBytes: frame.length,
        bytesPerS: Math.round(frame.length * spec.framesPerS),
        capS: spec.capS,
        closeReason: closed?.reason ?? null,
        errorsByCode: errors,
        mibSent: round3(bytes / 2 ** 20),
        skippedLate,
        skippedForBackpressure,
        maxFramesPerWakeUp: perWakeUp,
        loginRetries: logins.retries,
        listenerClosed: listener?.closed ? `${listener.closed.code} ${listener.closed.reason}` : null,
      },
    };
  } catch (err) {
    return {
      id: spec.id,
      target: tree.target,
      ok: false,
      error: `${err instanceof Error ? err.message : String(err)} | server output: ${server.output().slice(-800)}`,
      figures: {},
      detail: {},
    };
  } finally {
    for (const c of clients) c.ws.terminate();
    await server.stop();
  }
}
