/**
 * Pure arithmetic of `bench:sfu`: frame rates from two page snapshots, join-to-first-frame
 * summaries, rounding. No I/O, so the figures can be checked by reading them.
 */
import type { FirstFrames, ParticipantSnapshot } from './page.ts';

export function quantile(xs: readonly number[], q: number): number | null {
  const s = [...xs].filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export const median = (xs: readonly number[]) => quantile(xs, 0.5);

/** Rounds to `digits` decimals; null stays null. */
export function round(x: number | null | undefined, digits = 1): number | null {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** a / b rounded to 2 decimals, or null when either is missing or b is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null;
  return round(a / b, 2);
}

type Snapshot = Record<string, ParticipantSnapshot>;

/** Frames decoded per second for every (receiver, sender) stream present in both snapshots. */
export function decodedFps(before: Snapshot, after: Snapshot): { stream: string; fps: number }[] {
  const out: { stream: string; fps: number }[] = [];
  for (const [name, a] of Object.entries(after)) {
    const b = before[name];
    if (!b) continue;
    const s = (a.atMs - b.atMs) / 1000;
    if (s <= 0) continue;
    for (const [from, frames] of Object.entries(a.decoded)) {
      out.push({ stream: `${from}->${name}`, fps: (frames - (b.decoded[from] ?? 0)) / s });
    }
  }
  return out;
}

/**
 * Frames encoded per second per outgoing stream, matched by position (the set of senders does
 * not change in the window), with the widths and quality-limitation reasons seen at the end.
 */
export function encodedFps(
  before: Snapshot,
  after: Snapshot,
): { fps: number[]; widths: Record<string, number>; limitations: Record<string, number> } {
  const fps: number[] = [];
  const widths: Record<string, number> = {};
  const limitations: Record<string, number> = {};
  for (const [name, a] of Object.entries(after)) {
    const b = before[name];
    if (!b || b.encoded.length !== a.encoded.length) continue;
    const s = (a.atMs - b.atMs) / 1000;
    a.encoded.forEach((e, i) => {
      fps.push((e.framesEncoded - b.encoded[i]!.framesEncoded) / s);
      widths[String(e.frameWidth)] = (widths[String(e.frameWidth)] ?? 0) + 1;
      limitations[e.limitation] = (limitations[e.limitation] ?? 0) + 1;
    });
  }
  return { fps, widths, limitations };
}

/** Kilobits per second sent and received per participant (all its transports) between two snapshots. */
export function participantKbps(before: Snapshot, after: Snapshot): { sent: number[]; received: number[] } {
  const sent: number[] = [];
  const received: number[] = [];
  for (const [name, a] of Object.entries(after)) {
    const b = before[name];
    if (!b) continue;
    const s = (a.atMs - b.atMs) / 1000;
    if (s <= 0) continue;
    sent.push(((a.bytesSent - b.bytesSent) * 8) / 1000 / s);
    received.push(((a.bytesReceived - b.bytesReceived) * 8) / 1000 / s);
  }
  return { sent, received };
}

/** Summary of a list of rates: median, min, max, how many. */
export function spread(xs: readonly number[]): {
  n: number;
  median: number | null;
  min: number | null;
  max: number | null;
} {
  return {
    n: xs.length,
    median: round(median(xs)),
    min: round(quantile(xs, 0)),
    max: round(quantile(xs, 1)),
  };
}

/** One newcomer's join, as reported. */
export interface NewcomerJoin {
  newcomer: string;
  existingPublishers: number;
  joinResolvedMs: number;
  /** Media connections to the newcomer connected (see FirstFrames.connectedMs). */
  connectedMs: number | null;
  /** First frame from the first of the existing publishers. */
  firstMs: number | null;
  /** First frame from every existing publisher (null: not all within the deadline). */
  allMs: number | null;
  perPublisherMs: Record<string, number>;
}

export function newcomerJoin(newcomer: string, f: FirstFrames): NewcomerJoin {
  const times = Object.values(f.firstFrameMs);
  return {
    newcomer,
    existingPublishers: f.expected.length,
    joinResolvedMs: f.joinResolvedMs,
    connectedMs: f.connectedMs,
    firstMs: times.length > 0 ? Math.min(...times) : null,
    allMs: f.complete ? Math.max(...times) : null,
    perPublisherMs: f.firstFrameMs,
  };
}
