/** The web app's formatting for people (packages/web/src/ui/format.ts): sizes, rates, durations, names. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatBitrate,
  formatByteRate,
  formatBytes,
  formatClock,
  formatDuration,
  formatMs,
  formatPercent,
  hueFor,
  initials,
} from '../../../packages/web/src/ui/format.ts';

describe('web format', () => {
  it('formats bytes in powers of 1024, one decimal under 10', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(10 * 1024), '10 KB');
    assert.equal(formatBytes(5 * 1024 ** 3), '5.0 GB');
    assert.equal(formatBytes(3 * 1024 ** 5), '3072 TB');
    assert.equal(formatBytes(-1), '—');
    assert.equal(formatBytes(Number.NaN), '—');
    assert.equal(formatByteRate(2.5 * 1024 * 1024), '2.5 MB/s');
  });

  it('quotes network rates in bits', () => {
    assert.equal(formatBitrate(undefined), '—');
    assert.equal(formatBitrate(Number.POSITIVE_INFINITY), '—');
    assert.equal(formatBitrate(999), '999 bit/s');
    assert.equal(formatBitrate(64_400), '64 kbit/s');
    assert.equal(formatBitrate(1_240_000), '1.2 Mbit/s');
    assert.equal(formatBitrate(25_600_000), '26 Mbit/s');
  });

  it('formats durations as m:ss or h:mm:ss', () => {
    assert.equal(formatDuration(65), '1:05');
    assert.equal(formatDuration(0.4), '0:00');
    assert.equal(formatDuration(3723), '1:02:03');
    assert.equal(formatDuration(undefined), '—');
    assert.equal(formatDuration(-3), '—');
  });

  it('formats milliseconds and fractions', () => {
    assert.equal(formatMs(41.6), '42 ms');
    assert.equal(formatMs(0.3), '< 1 ms');
    assert.equal(formatMs(0), '0 ms');
    assert.equal(formatMs(undefined), '—');
    assert.equal(formatPercent(0.012), '1.2 %');
    assert.equal(formatPercent(0.5), '50 %');
    assert.equal(formatPercent(undefined), '—');
  });

  it('shows a clock time with hours and minutes', () => {
    assert.match(formatClock(new Date(2026, 0, 1, 14, 5)), /14.05|2.05/);
  });

  it('takes initials from the first two words, or the first two letters', () => {
    assert.equal(initials('ada lovelace'), 'AL');
    assert.equal(initials('grace_hopper'), 'GH');
    assert.equal(initials('bob'), 'BO');
    assert.equal(initials('x'), 'X');
  });

  it('gives each name a stable hue', () => {
    assert.equal(hueFor('alice'), hueFor('alice'));
    for (const name of ['alice', 'bob', 'carol', '']) {
      const hue = hueFor(name);
      assert.ok(Number.isInteger(hue) && hue >= 0 && hue < 360, `${name}: ${hue}`);
    }
    assert.notEqual(hueFor('alice'), hueFor('bob'));
  });
});
