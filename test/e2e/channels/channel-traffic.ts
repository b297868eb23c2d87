/**
 * Test traffic for app data channels, the same code in the browser page and in the Node peer:
 * a numbered stream of mixed messages (JSON values, binary of varying length, strings), and a
 * checker that verifies, per sender, that every message arrived once, in order, with the exact
 * kind and content it was sent with.
 */
import type { AppChannel, AppChannelData, AppChannelInput } from '@parley/client';

/** Message `i` of the stream: JSON (i % 3 = 0), binary (1), string (2). */
export function trafficMessage(i: number): AppChannelInput {
  switch (i % 3) {
    case 0:
      return { i, pos: [i % 640, (i * 7) % 480], tag: 'x'.repeat(i % 40), ok: i % 2 === 0, none: null };
    case 1: {
      const bytes = new Uint8Array(4 + (i % 300));
      new DataView(bytes.buffer).setUint32(0, i, true);
      for (let k = 4; k < bytes.length; k++) bytes[k] = (i + k) & 0xff;
      return bytes;
    }
    default:
      return `msg ${i} ${'é'.repeat(i % 20)}`;
  }
}

/** Why `data` is not message `i` of the stream, or null when it is. */
export function trafficMismatch(i: number, data: AppChannelData): string | null {
  const want = trafficMessage(i);
  if (want instanceof Uint8Array) {
    if (!(data instanceof ArrayBuffer)) return `#${i}: want binary, got ${typeof data}`;
    const got = new Uint8Array(data);
    if (got.length !== want.length) return `#${i}: ${got.length} bytes, want ${want.length}`;
    for (let k = 0; k < got.length; k++) if (got[k] !== want[k]) return `#${i}: byte ${k} differs`;
    return null;
  }
  if (typeof want === 'string') return data === want ? null : `#${i}: string ${JSON.stringify(data)}`;
  return JSON.stringify(data) === JSON.stringify(want)
    ? null
    : `#${i}: json ${JSON.stringify(data).slice(0, 80)}`;
}

/** What one receiver saw from each sender. */
export interface TrafficReport {
  [from: string]: { received: number; problem: string | null };
}

/** Checks every message on `channel`; read the result with `report()`. */
export class TrafficChecker {
  readonly #seen = new Map<string, { received: number; problem: string | null }>();
  constructor(channel: AppChannel) {
    channel.on('message', (data, from) => {
      const s = this.#seen.get(from) ?? { received: 0, problem: null };
      this.#seen.set(from, s);
      s.problem ??= trafficMismatch(s.received, data);
      s.received++;
    });
  }
  report(): TrafficReport {
    return Object.fromEntries(this.#seen);
  }
}

/** Sends messages 0…count-1, awaiting each send (so the sender's buffer stays bounded). */
export async function sendTraffic(
  channel: AppChannel,
  count: number,
): Promise<{ ms: number; maxBuffered: number }> {
  const t0 = performance.now();
  let maxBuffered = 0;
  for (let i = 0; i < count; i++) {
    await channel.send(trafficMessage(i));
    maxBuffered = Math.max(maxBuffered, channel.bufferedAmount);
  }
  return { ms: performance.now() - t0, maxBuffered };
}
