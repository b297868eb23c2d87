import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../../packages/server/src/log.ts';
import { Metrics } from '../../../packages/server/src/metrics.ts';
import {
  FloodGuard,
  type FloodLimits,
  type FloodVerdict,
} from '../../../packages/server/src/session/flood-guard.ts';
import {
  frameBytes,
  MessageQueue,
  QueueBudget,
  type QueueDropReason,
} from '../../../packages/server/src/session/message-queue.ts';
import { Session } from '../../../packages/server/src/session/session.ts';
import type { Connection } from '../../../packages/server/src/transport/connection.ts';

/** A queue with an observer that counts what it reports. */
function observed(maxFrames: number, maxBytes: number, budget: QueueBudget) {
  const seen = { frames: 0, bytes: 0, drops: [] as QueueDropReason[] };
  const q = new MessageQueue({ maxFrames, maxBytes }, budget, {
    changed: (frames, bytes) => {
      seen.frames += frames;
      seen.bytes += bytes;
    },
    dropped: (reason) => seen.drops.push(reason),
  });
  return { q, seen };
}

const frame = (i: number, size: number) => {
  const head = `{"i":${i},"p":"`;
  return `${head}${'x'.repeat(size - head.length - 2)}"}`;
};

describe('MessageQueue › byte budgets', () => {
  it('keeps the newest frames within the session byte budget and counts the drops as bytes', () => {
    const budget = new QueueBudget(1 << 30);
    const { q, seen } = observed(1000, 10_000, budget);
    for (let i = 0; i < 25; i++) q.push(frame(i, 1000));
    // 10 frames of exactly 1 000 bytes fit in 10 000 bytes; the 15 oldest were dropped.
    assert.equal(q.size, 10);
    assert.equal(q.bytes, 10_000);
    assert.equal(budget.used, 10_000);
    assert.equal(seen.bytes, 10_000);
    assert.equal(seen.frames, 10);
    assert.deepEqual(seen.drops, Array(15).fill('bytes'));
    assert.deepEqual(
      q.drain().map((f) => JSON.parse(f).i),
      [15, 16, 17, 18, 19, 20, 21, 22, 23, 24],
    );
    assert.equal(budget.used, 0);
    assert.equal(seen.bytes, 0);
    assert.equal(seen.frames, 0);
  });

  it('counts UTF-8 bytes, not characters', () => {
    const budget = new QueueBudget(1 << 30);
    const { q } = observed(1000, 1 << 20, budget);
    q.push('"é€😀"');
    assert.equal(frameBytes('"é€😀"'), 2 + 2 + 3 + 4);
    assert.equal(q.bytes, 11);
    assert.equal(budget.used, 11);
  });

  it('drops a single frame larger than the whole session budget, keeping the queue', () => {
    const budget = new QueueBudget(1 << 30);
    const { q, seen } = observed(1000, 5000, budget);
    q.push(frame(1, 1000));
    q.push(frame(2, 6000));
    assert.equal(q.size, 1);
    assert.equal(q.bytes, 1000);
    assert.deepEqual(seen.drops, ['bytes']);
  });

  it('the frame count still applies (reason frames)', () => {
    const { q, seen } = observed(3, 1 << 20, new QueueBudget(1 << 30));
    for (let i = 0; i < 5; i++) q.push(frame(i, 100));
    assert.equal(q.size, 3);
    assert.deepEqual(seen.drops, ['frames', 'frames']);
  });

  it('past the node budget, new frames for any session are dropped and counted; others keep theirs', () => {
    const budget = new QueueBudget(50_000);
    const queues = Array.from({ length: 8 }, () => observed(1000, 10_000, budget));
    // 8 sessions x 10 frames of 1 000 bytes = 80 000 bytes offered against a 50 000 byte node budget.
    for (let i = 0; i < 10; i++) for (const { q } of queues) q.push(frame(i, 1000));
    assert.equal(budget.used, 50_000);
    const total = queues.reduce((n, { q }) => n + q.bytes, 0);
    assert.equal(total, 50_000);
    const nodeDrops = queues.flatMap(({ seen }) => seen.drops).filter((r) => r === 'node_bytes').length;
    assert.equal(nodeDrops, 30);
    // Draining one queue frees its bytes for the others.
    const freed = queues[0]!.q.bytes;
    queues[0]!.q.drain();
    assert.equal(budget.used, 50_000 - freed);
    queues[1]!.q.push(frame(99, 1000));
    assert.equal(budget.used, 50_000 - freed + 1000);
  });

  it('requeue puts unwritten frames back ahead of newer ones, within the session budget', () => {
    const budget = new QueueBudget(1 << 30);
    const { q, seen } = observed(1000, 5000, budget);
    for (let i = 0; i < 4; i++) q.push(frame(i, 1000));
    const taken = q.drain();
    q.push(frame(10, 1000));
    q.push(frame(11, 1000));
    // 4 taken back + 2 newer = 6 000 bytes over a 5 000 budget: the oldest one goes.
    q.requeue(taken.slice(0));
    assert.deepEqual(
      q.drain().map((f) => JSON.parse(f).i),
      [1, 2, 3, 10, 11],
    );
    assert.deepEqual(seen.drops, ['bytes']);
    assert.equal(budget.used, 0);
  });
});

const LIMITS: FloodLimits = {
  ratePerS: 50,
  rateBurst: 100,
  rateBytesPerS: 256 * 1024,
  rateBytesBurst: 1024 * 1024,
  floodWindowMs: 2000,
  floodRatio: 0.25,
  floodStrikes: 32,
  rateLimitedReplies: 10,
};

/**
 * Sends frames of `bytes` at `perS` on a fake clock until the guard says `close` or `forMs`
 * passes; returns the verdicts and the time of the close.
 */
function pace(perS: number, bytes: number, forMs: number, limits: FloodLimits = LIMITS) {
  let now = 1000;
  const guard = new FloodGuard(limits, () => now);
  const verdicts: FloodVerdict[] = [];
  const start = now;
  const step = 1000 / perS;
  for (let t = 0; t < forMs; t += step) {
    now = start + t;
    const v = guard.check(bytes);
    verdicts.push(v);
    if (v === 'close') return { verdicts, closedAtMs: t };
  }
  return { verdicts, closedAtMs: undefined };
}

describe('FloodGuard', () => {
  it('paced floods at 2x, 5x and 20x the frame rate are cut within a bounded time', () => {
    // Bounds: the burst (100 frames) runs out, then about a window's share of refusals.
    for (const [factor, boundMs] of [
      [2, 4000],
      [5, 1500],
      [20, 500],
    ] as const) {
      const { closedAtMs, verdicts } = pace(LIMITS.ratePerS * factor, 200, 60_000);
      assert.ok(closedAtMs !== undefined, `${factor}x was never cut`);
      assert.ok(closedAtMs <= boundMs, `${factor}x cut after ${closedAtMs} ms (bound ${boundMs})`);
      assert.ok(verdicts.filter((v) => v === 'pass').length >= LIMITS.rateBurst);
    }
  });

  it('after N RATE_LIMITED replies in a window the rest are silent', () => {
    // A flood the ratio cannot close (minimum count out of reach) shows the reply cap alone.
    const { verdicts } = pace(200, 200, 1900, { ...LIMITS, floodStrikes: 1_000_000 });
    const refused = verdicts.filter((v) => v !== 'pass');
    assert.ok(refused.length > 100);
    assert.equal(verdicts.filter((v) => v === 'reply').length, LIMITS.rateLimitedReplies);
    assert.equal(
      refused.slice(LIMITS.rateLimitedReplies).every((v) => v === 'silent'),
      true,
    );
  });

  it('a byte flood of 60 KB frames under the frame rate is cut', () => {
    // 20 frames/s (under 50/s) of 60 KB = 1.2 MB/s against 256 KiB/s.
    const { closedAtMs, verdicts } = pace(20, 60_000, 60_000, { ...LIMITS, floodStrikes: 8 });
    assert.ok(closedAtMs !== undefined, 'never cut');
    assert.ok(closedAtMs <= 4000, `cut after ${closedAtMs} ms`);
    assert.ok(verdicts.filter((v) => v === 'pass').length >= 17, 'the byte burst passed first');
  });

  it('a legitimate sender just under the limits is never cut, nor refused', () => {
    // 48 frames/s of 5 KB = 240 KB/s: under 50/s and 256 KiB/s, for a minute.
    const { verdicts } = pace(48, 5000, 60_000);
    assert.equal(
      verdicts.every((v) => v === 'pass'),
      true,
    );
  });

  it('a short burst over the bucket is refused but not cut (renegotiation, ICE trickle)', () => {
    let now = 0;
    const guard = new FloodGuard(LIMITS, () => now);
    const verdicts = Array.from({ length: 130 }, () => guard.check(300));
    assert.equal(verdicts.filter((v) => v === 'pass').length, 100);
    assert.equal(verdicts.includes('close'), false);
    now += 2000;
    assert.equal(guard.check(300), 'pass');
  });
});

describe('Session › a resume flush cut short', () => {
  it('puts the frames the socket never wrote back at the head of the queue, ahead of newer ones', () => {
    const metrics = new Metrics(async () => 0);
    const budget = new QueueBudget(1 << 30);
    const conn1 = {} as Connection;
    const conn2 = {} as Connection;
    const s = new Session(
      'flush',
      't1',
      conn1,
      createLogger('silent'),
      metrics,
      { maxFrames: 100, maxBytes: 1 << 20 },
      budget,
    );
    s.detach();
    for (let i = 0; i < 6; i++) s.send({ type: 'signal', text: frame(i, 100) });
    assert.equal(s.queued, 6);
    const frames = s.attach(conn2);
    assert.equal(frames.length, 6);
    assert.equal(budget.used, 0);
    s.beginFlush(conn2, frames);
    s.flushWritten(conn2);
    s.flushWritten(conn2);
    s.flushWritten(conn1); // another socket's confirmation counts for nothing
    s.detach();
    s.send({ type: 'signal', text: frame(6, 100) });
    assert.deepEqual(
      s.takeQueued().map((f) => JSON.parse(f).i),
      [2, 3, 4, 5, 6],
    );
  });

  it('a flush fully written leaves nothing to put back; a rotation not written keeps the old token', () => {
    const metrics = new Metrics(async () => 0);
    const conn = {} as Connection;
    const s = new Session(
      'flush2',
      't1',
      conn,
      createLogger('silent'),
      metrics,
      { maxFrames: 100, maxBytes: 1 << 20 },
      new QueueBudget(1 << 30),
    );
    s.detach();
    s.send({ type: 'signal', text: frame(0, 100) });
    const frames = s.attach(conn);
    s.beginRotation('t2');
    s.beginFlush(conn, frames);
    s.flushWritten(conn);
    assert.equal(s.endRotation('t2', false), undefined);
    assert.equal(s.token, 't1');
    s.beginRotation('t3');
    assert.equal(s.endRotation('t3', true), 't1');
    assert.equal(s.token, 't3');
    s.detach();
    assert.equal(s.queued, 0);
  });
});
