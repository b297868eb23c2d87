/**
 * A 500 MiB file CLI → CLI with bounded memory: the sender reads its file in blocks and the
 * receiver streams to disk, so neither process's peak RSS (VmHWM) comes near the file size.
 * The file is generated in a temp dir and deleted afterwards.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startParley, useCliFixture } from './cli-process.ts';

const SIZE_BYTES = 500 * 1024 * 1024;
/** Each process may use at most this much resident memory at its peak. */
const PEAK_RSS_LIMIT_MIB = 256;

const cli = useCliFixture('large');

/** Writes `size` bytes of a repeating random 1 MiB block (fast to make, not compressible). */
async function makeFile(path: string, size: number): Promise<string> {
  const block = randomBytes(1024 * 1024);
  const hash = createHash('sha256');
  const fh = await open(path, 'w');
  try {
    for (let at = 0; at < size; at += block.length) {
      const chunk = block.subarray(0, Math.min(block.length, size - at));
      await fh.write(chunk, 0, chunk.length, at);
      hash.update(chunk);
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path, { highWaterMark: 1024 * 1024 })
      .on('data', (d) => hash.update(d))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

test('a 500 MiB file goes CLI to CLI with bounded peak RSS on both sides', {
  timeout: 300_000,
}, async (t) => {
  const file = join(cli.dir, 'big.bin');
  const expected = await makeFile(file, SIZE_BYTES);
  const outDir = join(cli.dir, 'out');
  const name = `large-rx-${process.pid}`;
  const receiver = startParley([
    'receive',
    '--server',
    cli.serverUrl,
    '--name',
    name,
    '--dir',
    outDir,
    '--yes',
    '--count',
    '1',
    '--json',
  ]);
  await receiver.waitFor((e) => e.type === 'status' && e.event === 'ready', 30_000, 'receiver ready');
  const started = performance.now();
  const sender = startParley(['send', file, '--to', name, '--server', cli.serverUrl, '--json']);
  // VmHWM is a high-water mark: sample it until each process exits and keep the last reading.
  const peak = { sender: 0, receiver: 0 };
  const sampler = setInterval(() => {
    peak.sender = Math.max(peak.sender, sender.peakRssKiB() ?? 0);
    peak.receiver = Math.max(peak.receiver, receiver.peakRssKiB() ?? 0);
  }, 100);
  try {
    await sender.waitFor((e) => e.type === 'done', 280_000, 'sender done');
    await receiver.waitFor((e) => e.type === 'done', 30_000, 'receiver done');
    peak.sender = Math.max(peak.sender, sender.peakRssKiB() ?? 0);
    peak.receiver = Math.max(peak.receiver, receiver.peakRssKiB() ?? 0);
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  assert.equal(await sender.exited, 0, sender.stderr());
  assert.equal(await receiver.exited, 0, receiver.stderr());
  const done = receiver.events.find((e) => e.type === 'done')!;
  assert.equal(done.sha256, expected);
  assert.equal(await hashFile(String(done.path)), expected);
  const mib = (kib: number) => Math.round(kib / 1024);
  t.diagnostic(
    `500 MiB in ${seconds.toFixed(1)} s (${(SIZE_BYTES / 1024 / 1024 / seconds).toFixed(1)} MiB/s incl. setup); ` +
      `peak RSS sender ${mib(peak.sender)} MiB, receiver ${mib(peak.receiver)} MiB`,
  );
  assert.ok(peak.sender > 0 && peak.receiver > 0, 'RSS was sampled');
  assert.ok(mib(peak.sender) < PEAK_RSS_LIMIT_MIB, `sender peak RSS ${mib(peak.sender)} MiB`);
  assert.ok(mib(peak.receiver) < PEAK_RSS_LIMIT_MIB, `receiver peak RSS ${mib(peak.receiver)} MiB`);
});
