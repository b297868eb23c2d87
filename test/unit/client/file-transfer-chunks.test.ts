import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  BlockReader,
  chooseChunkBytes,
  chunkLengthAt,
  FALLBACK_MAX_MESSAGE_BYTES,
  HashCheckpoints,
} from '../../../packages/client/src/features/file-transfer-chunks.ts';
import {
  canWrite,
  type PacedChannel,
  waitForDrain,
} from '../../../packages/client/src/features/file-transfer-pacer.ts';
import { ProgressMeter } from '../../../packages/client/src/features/file-transfer-progress.ts';
import { bytesSource, type FileSource } from '../../../packages/client/src/features/file-transfer-source.ts';
import { Sha256 } from '../../../packages/client/src/features/sha256.ts';

const KiB = 1024;

describe('chunk sizing', () => {
  it('uses the preferred size capped by the negotiated maxMessageSize', () => {
    assert.equal(chooseChunkBytes(262144, 256 * KiB), 256 * KiB);
    assert.equal(chooseChunkBytes(262144, 1024 * KiB), 256 * KiB);
    assert.equal(chooseChunkBytes(65536, 256 * KiB), 64 * KiB);
    assert.equal(chooseChunkBytes(1073741823, 256 * KiB), 256 * KiB); // Firefox
    assert.equal(chooseChunkBytes(Number.POSITIVE_INFINITY, 128 * KiB), 128 * KiB);
  });

  it('falls back to 64 KiB when the size limit is unknown', () => {
    for (const unknown of [null, undefined, 0, Number.NaN]) {
      assert.equal(chooseChunkBytes(unknown, 256 * KiB), FALLBACK_MAX_MESSAGE_BYTES);
    }
    assert.equal(chooseChunkBytes(null, 16 * KiB), 16 * KiB);
  });

  it('cuts a file into chunks that cover it exactly, from any resume offset', () => {
    for (const [size, chunk, from] of [
      [0, 10, 0],
      [1, 10, 0],
      [100, 10, 0],
      [101, 10, 0],
      [101, 10, 37],
      [1_000_003, 65536, 262144],
    ] as const) {
      let offset = from;
      let n = 0;
      while (chunkLengthAt(offset, size, chunk) > 0) {
        const len = chunkLengthAt(offset, size, chunk);
        assert.ok(len <= chunk && len > 0);
        offset += len;
        n++;
        assert.ok(n < 1e6);
      }
      assert.equal(offset, Math.max(from, size));
    }
  });
});

describe('BlockReader', () => {
  it('returns the right bytes for every chunk and reads each block once, prefetching the next', async () => {
    const data = randomBytes(10 * KiB + 123);
    const reads: Array<[number, number]> = [];
    const inner = bytesSource(data, 'f');
    const source: FileSource = {
      ...inner,
      read: (o, l) => {
        reads.push([o, l]);
        return inner.read(o, l);
      },
    };
    const reader = new BlockReader(source, 4 * KiB);
    for (let off = 0; off < data.length; off += KiB) {
      const len = Math.min(KiB, data.length - off);
      assert.deepEqual(Buffer.from(await reader.read(off, len)), data.subarray(off, off + len));
    }
    assert.deepEqual(reads, [
      [0, 4096],
      [4096, 4096],
      [8192, 2171],
    ]);
  });

  it('restarts at a resume offset that is not block-aligned', async () => {
    const data = randomBytes(9000);
    const reader = new BlockReader(bytesSource(data, 'f'), 4096);
    assert.deepEqual(Buffer.from(await reader.read(0, 1000)), data.subarray(0, 1000));
    assert.deepEqual(Buffer.from(await reader.read(5000, 1000)), data.subarray(5000, 6000));
    assert.deepEqual(Buffer.from(await reader.read(8500, 500)), data.subarray(8500, 9000));
  });

  it('rejects a source that reads short', async () => {
    const source: FileSource = { name: 'f', size: 100, type: '', read: async () => new Uint8Array(10) };
    await assert.rejects(new BlockReader(source, 64).read(0, 32), /source read 10 of 64/);
  });
});

describe('HashCheckpoints', () => {
  it('continues the hash from a confirmed chunk boundary exactly', () => {
    const data = randomBytes(5000);
    const cps = new HashCheckpoints();
    const h = new Sha256();
    cps.add(0, h.clone());
    for (let off = 0; off < data.length; off += 1000) {
      h.update(data.subarray(off, off + 1000));
      cps.add(off + 1000, h.clone());
    }
    cps.confirm(3000);
    assert.equal(cps.size, 3); // 3000, 4000, 5000
    assert.equal(cps.at(2000), null);
    const resumed = cps.at(3000)!;
    resumed.update(data.subarray(3000));
    assert.equal(resumed.hex(), createHash('sha256').update(data).digest('hex'));
    // at() hands out copies: the stored snapshot is untouched.
    const again = cps.at(3000)!;
    again.update(data.subarray(3000));
    assert.equal(again.hex(), createHash('sha256').update(data).digest('hex'));
  });
});

describe('ProgressMeter', () => {
  it('reports bytes, rate over the window and ETA', () => {
    const m = new ProgressMeter(10_000_000, 2000);
    assert.deepEqual(m.update(0, 0), { bytes: 0, total: 10_000_000, rateBytesPerSec: 0, etaMs: null });
    const p = m.update(1_000_000, 1000);
    assert.equal(p.rateBytesPerSec, 1_000_000);
    assert.equal(p.etaMs, 9000);
    m.update(2_000_000, 2000);
    m.update(4_000_000, 3000);
    const q = m.update(6_000_000, 4000); // window now spans 2000..4000 ms: 4 MB in 2 s
    assert.equal(q.rateBytesPerSec, 2_000_000);
    assert.equal(q.etaMs, 2000);
  });

  it('never goes backwards or past the total, and ends with ETA 0', () => {
    const m = new ProgressMeter(100);
    m.update(60, 10);
    assert.equal(m.update(40, 20).bytes, 60);
    const end = m.update(150, 30);
    assert.equal(end.bytes, 100);
    assert.equal(end.etaMs, 0);
  });
});

class FakeChannel implements PacedChannel {
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  readyState: RTCDataChannelState = 'open';
  fireEvents = true;
  #listeners = new Map<string, Set<() => void>>();
  addEventListener(type: string, l: () => void) {
    if (!this.#listeners.has(type)) this.#listeners.set(type, new Set());
    this.#listeners.get(type)!.add(l);
  }
  removeEventListener(type: string, l: () => void) {
    this.#listeners.get(type)?.delete(l);
  }
  listeners(type: string) {
    return this.#listeners.get(type)?.size ?? 0;
  }
  drainTo(n: number) {
    const was = this.bufferedAmount;
    this.bufferedAmount = n;
    if (this.fireEvents && was > this.bufferedAmountLowThreshold && n <= this.bufferedAmountLowThreshold) {
      for (const l of [...(this.#listeners.get('bufferedamountlow') ?? [])]) l();
    }
  }
  close() {
    this.readyState = 'closed';
    for (const l of [...(this.#listeners.get('close') ?? [])]) l();
  }
}

describe('backpressure', () => {
  const marks = { highBytes: 4000, lowBytes: 1000, pollMs: 5 };

  it('writes below the high watermark only', () => {
    const ch = new FakeChannel();
    ch.bufferedAmount = 3999;
    assert.equal(canWrite(ch, marks), true);
    ch.bufferedAmount = 4000;
    assert.equal(canWrite(ch, marks), false);
  });

  it('wakes on bufferedamountlow and removes its listeners', async () => {
    const ch = new FakeChannel();
    ch.bufferedAmount = 5000;
    const p = waitForDrain(ch, marks);
    assert.equal(ch.bufferedAmountLowThreshold, 1000);
    ch.drainTo(800);
    assert.equal(await p, true);
    assert.equal(ch.listeners('bufferedamountlow'), 0);
    assert.equal(ch.listeners('close'), 0);
  });

  it('falls back to polling when the event never fires', async () => {
    const ch = new FakeChannel();
    ch.fireEvents = false;
    ch.bufferedAmount = 5000;
    const p = waitForDrain(ch, marks);
    setTimeout(() => ch.drainTo(0), 20);
    assert.equal(await p, true);
  });

  it('resolves false when the channel closes or the signal aborts', async () => {
    const ch = new FakeChannel();
    ch.bufferedAmount = 5000;
    const p = waitForDrain(ch, marks);
    ch.close();
    assert.equal(await p, false);
    const ch2 = new FakeChannel();
    ch2.bufferedAmount = 5000;
    const ac = new AbortController();
    const q = waitForDrain(ch2, marks, ac.signal);
    ac.abort();
    assert.equal(await q, false);
  });
});
