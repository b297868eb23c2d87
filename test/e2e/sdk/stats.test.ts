// @needs chromium
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { StatsSummary } from '../../../packages/client/src/features/stats.ts';
import {
  connect,
  type DataChannelRig,
  openPair,
  type PagePair,
  pollWith,
  startRig,
} from './file-transfer-pages.ts';

describe('StatsMonitor on a Chromium media call', () => {
  let rig: DataChannelRig;
  let pair: PagePair | undefined;

  before(async () => {
    rig = await startRig();
  });
  after(async () => {
    await rig?.close();
  });
  afterEach(async () => {
    await pair?.close();
    pair = undefined;
  });

  it('reports a host candidate pair, non-zero bitrates, frame rate and round trip', async () => {
    pair = await openPair(rig, { camera: true });
    await connect(pair, { camera: true });
    await pair.b.evaluate(() => window.h.startStats(250));
    // Wait for a summary that shows decoded video flowing in.
    const s = (await pollWith(
      pair.b,
      () =>
        window.h.stats.find(
          (x) => (x.bitrateInKbps ?? 0) > 0 && (x.bitrateOutKbps ?? 0) > 0 && (x.framesPerSecond ?? 0) > 0,
        ) ?? null,
      null,
      { timeoutMs: 20_000, what: 'a summary with media flowing' },
    )) as StatsSummary;
    assert.equal(s.candidateType, 'host');
    assert.equal(s.remoteCandidateType, 'host');
    assert.equal(s.protocol, 'udp');
    assert.ok(s.intervalMs! > 0);
    assert.ok(s.transportInKbps! > 0);
    assert.ok(s.resolution !== null && s.resolution.width > 0, JSON.stringify(s.resolution));
    assert.ok(s.rttMs !== null && s.rttMs >= 0, `rtt ${s.rttMs}`);
    assert.ok(s.jitterMs !== null);
    // The first summary of a series has no rates.
    const first = await pair.b.evaluate(() => window.h.stats[0]!);
    assert.equal(first.bitrateInKbps, null);
    await pair.b.evaluate(() => window.h.monitor!.stop());
  });
});
