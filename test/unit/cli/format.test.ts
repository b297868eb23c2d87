import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  formatBar,
  formatBytes,
  formatDuration,
  formatPercent,
  formatPlainProgress,
  formatProgressLine,
  formatRate,
  shorten,
} from '../../../packages/cli/src/output/format.ts';
import { ProgressRenderer } from '../../../packages/cli/src/output/progress-renderer.ts';

describe('format', () => {
  test('bytes, rates, durations and percentages', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1536), '1.50 KiB');
    assert.equal(formatBytes(29.1 * 1024 * 1024), '29.1 MiB');
    assert.equal(formatBytes(500 * 1024 ** 3), '500 GiB');
    assert.equal(formatRate(0), '-- B/s');
    assert.equal(formatRate(12.3 * 1024 * 1024), '12.3 MiB/s');
    assert.equal(formatDuration(null), '--:--');
    assert.equal(formatDuration(12_400), '0:12');
    assert.equal(formatDuration(65_000), '1:05');
    assert.equal(formatDuration(3_723_000), '1:02:03');
    assert.equal(formatPercent(999, 1000), '99%');
    assert.equal(formatPercent(1000, 1000), '100%');
    assert.equal(formatPercent(0, 0), '100%');
  });

  test('bar and shortening', () => {
    assert.equal(formatBar(0, 12), '[>         ]');
    assert.equal(formatBar(0.5, 12), '[=====>    ]');
    assert.equal(formatBar(1, 12), '[==========]');
    assert.equal(shorten('holiday-photos-2026.tar.gz', 12), 'holida…ar.gz');
    assert.equal([...shorten('holiday-photos-2026.tar.gz', 12)].length, 12);
    assert.equal(shorten('short', 12), 'short');
  });

  test('a progress line fits the terminal and shows percent, speed and time left', () => {
    const view = {
      label: '→ report.pdf',
      bytes: 42,
      total: 100,
      rateBytesPerSec: 12.3 * 1024 * 1024,
      etaMs: 12_000,
    };
    const line = formatProgressLine(view, 80);
    assert.ok(line.length <= 79, line);
    assert.match(line, /^→ report\.pdf +\[=+> *\] +42% +12\.3 MiB\/s +0:12 left$/);
    const narrow = formatProgressLine({ ...view, label: 'a-very-long-file-name-indeed.iso' }, 40);
    assert.ok(narrow.length <= 39, narrow);
    assert.match(narrow, /42%/);
    assert.match(formatProgressLine({ ...view, bytes: 100 }, 80), /100% .* done$/);
    assert.equal(formatPlainProgress(view), '→ report.pdf 42% 42 B of 100 B, 12.3 MiB/s, 0:12 left');
  });
});

describe('ProgressRenderer', () => {
  const fakeTerminal = () => {
    const writes: string[] = [];
    return { writes, stream: { columns: 60, write: (t: string) => writes.push(t) } };
  };

  test('throttles redraws and redraws in place (\\r + cursor up), printing text above the bars', async () => {
    let now = 0;
    const { writes, stream } = fakeTerminal();
    const r = new ProgressRenderer(stream, { intervalMs: 50, now: () => now });
    const view = (bytes: number) => ({ label: 'f', bytes, total: 100, rateBytesPerSec: 1, etaMs: 1000 });
    for (let i = 1; i <= 20; i++) r.update('a', view(i)); // a burst of updates: one frame
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(writes.length, 1);
    assert.match(writes[0]!, /20%/);
    assert.doesNotMatch(writes[0]!, /\n$/, 'the cursor stays on the bar line');
    now = 100;
    r.update('b', view(50));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(writes.length, 2);
    assert.match(writes[1]!, /^\r/, 'returns to the start of the live area');
    assert.equal(writes[1]!.split('\n').length, 2, 'two bars');
    r.print('hello');
    assert.ok(writes[2]!.startsWith('\r\u001b[1A\u001b[2Khello\n'), 'text goes above the bars');
    r.finish('a', 'done a');
    r.finish('b');
    r.stop();
    assert.doesNotMatch(writes.join(''), /undefined/);
  });
});
