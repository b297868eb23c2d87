import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type LivenessClock,
  type LivenessDeadDetail,
  LivenessMonitor,
  probeVerdict,
} from '../../../packages/client/src/signaling/liveness.ts';

/**
 * A manual clock. `advance` runs timers on time; `sleep` moves time on without running any (a
 * throttled or frozen page), and `wake` then runs the overdue ones, late.
 */
class FakeClock implements LivenessClock {
  t = 0;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #next = 1;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.#next++;
    this.#timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown) => {
    this.#timers.delete(h as number);
  };
  #runDue(): boolean {
    let first: [number, { at: number; fn: () => void }] | null = null;
    for (const e of this.#timers) if (e[1].at <= this.t && (!first || e[1].at < first[1].at)) first = e;
    if (!first) return false;
    this.#timers.delete(first[0]);
    first[1].fn();
    return true;
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let at = Infinity;
      for (const { at: a } of this.#timers.values()) at = Math.min(at, a);
      if (at > end) break;
      this.t = Math.max(this.t, at);
      this.#runDue();
    }
    this.t = end;
  }
  sleep(ms: number): void {
    this.t += ms;
  }
  wake(): void {
    while (this.#runDue()) {}
  }
}

function monitor(over: { heartbeatMs?: number; answer?: boolean } = {}) {
  const clock = new FakeClock();
  const state = { pings: 0, dead: null as LivenessDeadDetail | null, answer: over.answer ?? true };
  const m = new LivenessMonitor({
    heartbeatMs: over.heartbeatMs ?? 10_000,
    clock,
    ping: () => {
      state.pings++;
    },
    onDead: (d) => {
      state.dead = d;
    },
  });
  m.start();
  return { m, clock, state };
}

describe('probeVerdict', () => {
  const base = {
    probeSentAt: 100,
    lastFrameAt: 50,
    lateByMs: 0,
    lateMs: 1000,
    lateProbes: 0,
    maxLateProbes: 2,
  };
  it('is alive when any frame arrived since the probe', () => {
    assert.equal(probeVerdict({ ...base, lastFrameAt: 100 }), 'alive');
    assert.equal(probeVerdict({ ...base, lastFrameAt: 150, lateByMs: 60_000 }), 'alive');
  });
  it('is dead only when the deadline fired on time', () => {
    assert.equal(probeVerdict(base), 'dead');
    assert.equal(probeVerdict({ ...base, lateByMs: 999 }), 'dead');
    assert.equal(probeVerdict({ ...base, lateByMs: 1001 }), 'reprobe');
  });
  it('re-probes a late deadline a bounded number of times', () => {
    assert.equal(probeVerdict({ ...base, lateByMs: 60_000, lateProbes: 1 }), 'reprobe');
    assert.equal(probeVerdict({ ...base, lateByMs: 60_000, lateProbes: 2 }), 'dead');
  });
});

describe('LivenessMonitor', () => {
  it('pings every heartbeat while frames arrive', () => {
    const { clock, state, m } = monitor();
    for (let i = 0; i < 10; i++) {
      clock.advance(10_000);
      m.frameReceived();
    }
    assert.equal(state.pings, 10);
    assert.equal(state.dead, null);
  });

  it('never declares a healthy link dead when its timers run once a minute (throttled tab)', () => {
    const { clock, state, m } = monitor();
    // 20 minutes hidden: every timer runs up to a minute late; the server answers each ping
    // within 5 ms (network events are not throttled).
    for (let minute = 0; minute < 20; minute++) {
      const before = state.pings;
      clock.sleep(60_000);
      clock.wake();
      if (state.pings > before) {
        clock.sleep(5);
        m.frameReceived();
      }
    }
    assert.equal(state.dead, null);
    assert.ok(m.lateTimers >= 19, `late timers seen: ${m.lateTimers}`);
    assert.ok(m.maxLateByMs >= 49_000);
  });

  it('does not die when a frozen page runs the probe deadline before the queued answer', () => {
    const { clock, state, m } = monitor();
    clock.advance(10_000); // tick: ping
    clock.sleep(30_000); // freeze: silence grows past 2 heartbeats + 2 s
    clock.wake(); // the late tick probes (silence), does not kill
    assert.equal(state.dead, null);
    assert.ok(m.probing);
    clock.sleep(60_000); // frozen again before the answer was read
    clock.wake(); // the probe deadline runs first, 55 s late: re-probe
    assert.equal(state.dead, null);
    assert.ok(m.probing, 'asked again');
    m.frameReceived(); // the queued pong is read
    assert.ok(!m.probing);
    for (let i = 0; i < 6; i++) {
      clock.advance(10_000);
      m.frameReceived();
    }
    assert.equal(state.dead, null);
  });

  it('declares a silent link dead once an on-time probe goes unanswered', () => {
    const { clock, state } = monitor({ heartbeatMs: 10_000 });
    clock.advance(22_000);
    assert.equal(state.dead, null, 'silence alone never kills');
    clock.advance(8_000); // tick at 30 s: silence 30 s > 22 s → probe, 5 s deadline
    assert.equal(state.dead, null);
    clock.advance(5_000);
    assert.deepEqual(state.dead, { silentMs: 35_000, cause: 'silence', lateProbes: 0 });
  });

  it('still finds a dead link under constant throttling, after a bounded number of re-probes', () => {
    const { clock, state } = monitor({ heartbeatMs: 10_000 });
    let minutes = 0;
    while (!state.dead && minutes < 10) {
      clock.sleep(60_000);
      clock.wake();
      minutes++;
    }
    assert.ok(state.dead, 'declared dead');
    assert.equal(state.dead?.lateProbes, 2);
    assert.ok(minutes <= 4, `took ${minutes} throttled minutes`);
  });

  it('check(): a wake-up probe kills a dead link within its deadline and spares a live one', () => {
    const live = monitor();
    live.clock.advance(3_000);
    live.m.check('visible', 1_000);
    assert.equal(live.state.pings, 1);
    live.clock.advance(20);
    live.m.frameReceived();
    live.clock.advance(2_000);
    assert.equal(live.state.dead, null);

    const dead = monitor();
    dead.clock.advance(3_000);
    dead.m.check('online', 1_000);
    dead.clock.advance(999);
    assert.equal(dead.state.dead, null);
    dead.clock.advance(1);
    assert.equal((dead.state.dead as LivenessDeadDetail | null)?.cause, 'online');
  });

  it('stop() silences every timer', () => {
    const { clock, state, m } = monitor();
    m.check('resume', 500);
    m.stop();
    clock.advance(120_000);
    assert.equal(state.dead, null);
    assert.equal(state.pings, 1);
  });
});
