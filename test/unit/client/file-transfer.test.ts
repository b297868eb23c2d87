import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import {
  bytesSource,
  type FileSink,
  type FileTransferError,
  FileTransfers,
  type IncomingTransfer,
  type TransferProgress,
} from '../../../packages/client/src/features/file-transfer.ts';
import { until } from '../../helpers/wait.ts';
import { type FakeDataChannel, fakePair } from './fake-peer-connection.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const opts = {
  chunkBytes: 16 * 1024,
  readBlockBytes: 64 * 1024,
  highWaterBytes: 256 * 1024,
  lowWaterBytes: 64 * 1024,
  ackBytes: 64 * 1024,
};

/** Every manager a test made; closed after each test so no transfer (or its timers) outlives it. */
const managers: FileTransfers[] = [];
afterEach(() => {
  for (const m of managers.splice(0)) m.close();
});

function setup(options = opts) {
  const pcs = fakePair();
  const sender = new FileTransfers(options);
  const receiver = new FileTransfers(options);
  managers.push(sender, receiver);
  sender.attach(pcs.a);
  receiver.attach(pcs.b);
  const offers: IncomingTransfer[] = [];
  receiver.on('offer', (t) => offers.push(t));
  return { ...pcs, sender, receiver, offers };
}

function fileChannel(fake: { channels: FakeDataChannel[] }, id: string): FakeDataChannel {
  return fake.channels.filter((c) => c.label === `parley-file/${id}`).at(-1)!;
}

/** Drops everything after `n` chunks of transfer `id` and closes the receiver's end then. */
async function cutAfter(
  fa: { channels: FakeDataChannel[] },
  fb: { channels: FakeDataChannel[] },
  id: string,
  n: number,
): Promise<void> {
  await until(() => fileChannel(fa, id) !== undefined, { what: 'channel', intervalMs: 5 });
  let chunks = 0;
  fileChannel(fa, id).tamper = (m) => {
    if (typeof m === 'string') return m;
    if (++chunks === n) setImmediate(() => fileChannel(fb, id).close());
    return chunks > n ? null : m;
  };
}

describe('FileTransfers (over an in-memory channel pair)', () => {
  it('transfers a file with a matching SHA-256 into a BlobSink', async () => {
    const { sender, offers } = setup();
    const data = randomBytes(1024 * 1024 + 77);
    const out = sender.send(bytesSource(data, 'a.bin', 'application/x-test'));
    await until(() => offers.length === 1, { what: 'offer', intervalMs: 5 });
    const incoming = offers[0]!;
    assert.equal(incoming.name, 'a.bin');
    assert.equal(incoming.size, data.length);
    assert.equal(incoming.mime, 'application/x-test');
    incoming.accept();
    const [r1, r2] = await Promise.all([out.finished, incoming.finished]);
    assert.deepEqual(r1, { state: 'completed', sha256: sha(data) });
    assert.deepEqual(r2, { state: 'completed', sha256: sha(data) });
    const blob = incoming.blob!;
    assert.equal(blob.type, 'application/x-test');
    assert.deepEqual(Buffer.from(await blob.arrayBuffer()), data);
  });

  it('sends an empty file', async () => {
    const { sender, offers } = setup();
    const out = sender.send(bytesSource(new Uint8Array(0), 'empty'));
    await until(() => offers.length === 1, { what: 'offer', intervalMs: 5 });
    offers[0]!.accept();
    assert.equal((await offers[0]!.finished).sha256, sha(new Uint8Array(0)));
    assert.equal((await out.finished).state, 'completed');
  });

  it('fails both sides with HASH_MISMATCH when a byte is altered in flight', async () => {
    const { sender, offers, fa } = setup();
    const data = randomBytes(200_000);
    const out = sender.send(bytesSource(data, 'x'));
    await until(() => fileChannel(fa, out.id) !== undefined, { what: 'channel', intervalMs: 5 });
    let flipped = false;
    fileChannel(fa, out.id).tamper = (m) => {
      if (typeof m === 'string' || flipped) return m;
      flipped = true;
      const copy = new Uint8Array(m.slice(0));
      copy[100]! ^= 1;
      return copy.buffer;
    };
    await until(() => offers.length === 1, { what: 'offer', intervalMs: 5 });
    offers[0]!.accept();
    const [r1, r2] = await Promise.all([out.finished, offers[0]!.finished]);
    assert.equal(r2.state, 'failed');
    assert.equal(r2.error?.code, 'HASH_MISMATCH');
    assert.equal(r1.state, 'failed');
    assert.equal(r1.error?.code, 'HASH_MISMATCH');
    assert.equal(r1.error?.remote, true);
    assert.equal(offers[0]!.blob, null);
  });

  it('refuses a hostile channel: bad first message → error event and file.cancel BAD_MESSAGE', async () => {
    const { a, fa, receiver } = setup();
    const errors: FileTransferError[] = [];
    receiver.on('error', (e) => errors.push(e));
    const ch = a.createDataChannel('parley-file/evil') as unknown as FakeDataChannel;
    const got: string[] = [];
    ch.addEventListener('message', (ev) => got.push((ev as MessageEvent).data));
    await until(() => ch.readyState === 'open', { what: 'open', intervalMs: 5 });
    ch.send(JSON.stringify({ type: 'file.offer', id: 'evil', name: '../../etc/passwd', size: 1, mime: '' }));
    await until(() => errors.length === 1 && got.length === 1, { what: 'error and cancel', intervalMs: 5 });
    assert.equal(errors[0]!.code, 'BAD_MESSAGE');
    assert.equal(JSON.parse(got[0]!).code, 'BAD_MESSAGE');
    await until(() => ch.readyState === 'closed', { what: 'closed', intervalMs: 5 });
    assert.equal(fa.channels.length, 1);
  });

  it('fails with SIZE_MISMATCH when the sender sends more than it offered', async () => {
    const { a, receiver } = setup();
    const offers: IncomingTransfer[] = [];
    receiver.on('offer', (t) => {
      offers.push(t);
      t.accept();
    });
    const ch = a.createDataChannel('parley-file/big') as unknown as FakeDataChannel;
    await until(() => ch.readyState === 'open', { what: 'open', intervalMs: 5 });
    const got: string[] = [];
    ch.addEventListener('message', (ev) => got.push((ev as MessageEvent).data));
    ch.send(JSON.stringify({ type: 'file.offer', id: 'big', name: 'b', size: 10, mime: '' }));
    await until(() => got.length === 1, { what: 'accept', intervalMs: 5 });
    assert.deepEqual(JSON.parse(got[0]!), { type: 'file.accept', id: 'big', offset: 0 });
    ch.send(new Uint8Array(20));
    const r = await offers[0]!.finished;
    assert.equal(r.error?.code, 'SIZE_MISMATCH');
  });

  it('fails both sides with SINK_FAILED when the sink throws', async () => {
    const { sender, offers } = setup();
    const out = sender.send(bytesSource(randomBytes(100_000), 'x'));
    await until(() => offers.length === 1, { what: 'offer', intervalMs: 5 });
    let writes = 0;
    const sink: FileSink = {
      write: async () => {
        if (++writes === 3) throw new Error('disk full');
      },
      finish: () => {},
    };
    offers[0]!.accept(sink);
    const [r1, r2] = await Promise.all([out.finished, offers[0]!.finished]);
    assert.equal(r2.error?.code, 'SINK_FAILED');
    assert.equal(r1.error?.code, 'SINK_FAILED');
  });

  it('resumes with an asynchronous sink after a cut, from the kept offset, and the hash still matches', async () => {
    const { sender, offers, fa, fb } = setup();
    const data = randomBytes(2 * 1024 * 1024);
    const parts: Buffer[] = [];
    const offsets: number[] = [];
    const sink: FileSink = {
      write: async (chunk, offset) => {
        await new Promise((r) => setImmediate(r));
        offsets.push(offset);
        parts.push(Buffer.from(chunk));
      },
      finish: () => {},
    };
    const out = sender.send(bytesSource(data, 'x'));
    await cutAfter(fa, fb, out.id, 50); // ~40%
    await until(() => offers.length === 1, { what: 'offer', intervalMs: 5 });
    const incoming = offers[0]!;
    const states: string[] = [];
    let keptAtCut = -1;
    incoming.on('state', (st) => {
      states.push(st);
      if (st === 'interrupted') keptAtCut = incoming.keptBytes;
    });
    incoming.accept(sink);
    const [r1, r2] = await Promise.all([out.finished, incoming.finished]);
    assert.equal(r2.sha256, sha(data));
    assert.equal(r1.sha256, sha(data));
    assert.deepEqual(Buffer.concat(parts), data);
    assert.deepEqual(states, [
      'transferring',
      'interrupted',
      'pending',
      'transferring',
      'verifying',
      'completed',
    ]);
    // At the cut some writes were still in flight; the accept waited for them, so the resume
    // started exactly after the 50 chunks that arrived: the sink got every byte exactly once.
    assert.ok(keptAtCut > 0 && keptAtCut <= 50 * 16 * 1024, `kept at cut: ${keptAtCut}`);
    assert.ok(offsets.includes(50 * 16 * 1024));
    // Writes were contiguous: each at the end of the previous one, across the resume.
    let expected = 0;
    for (let i = 0; i < offsets.length; i++) {
      assert.equal(offsets[i], expected);
      expected += parts[i]!.length;
    }
    assert.equal(offers.length, 1, 'a re-offer is not a new offer');
  });

  it('resumes from a new sender (no hash snapshots) by rehashing the kept prefix', async () => {
    const { a, fa, fb, sender, offers } = setup({ ...opts, autoResume: false } as typeof opts);
    const data = randomBytes(1024 * 1024);
    const out = sender.send(bytesSource(data, 'x'));
    await cutAfter(fa, fb, out.id, 30);
    await until(() => offers.length === 1, { what: 'offer', intervalMs: 5 });
    offers[0]!.accept();
    await until(() => out.state === 'interrupted' && offers[0]!.state === 'interrupted', {
      what: 'interrupted',
      intervalMs: 5,
    });
    sender.detach();
    const sender2 = new FileTransfers(opts);
    sender2.attach(a);
    const out2 = sender2.send(bytesSource(data, 'x'), { id: out.id });
    const [r1, r2] = await Promise.all([out2.finished, offers[0]!.finished]);
    assert.equal(r1.sha256, sha(data));
    assert.equal(r2.sha256, sha(data));
  });

  it('answers a re-offer of a finished transfer with file.received (idempotent)', async () => {
    const { a, sender, offers } = setup();
    const data = randomBytes(50_000);
    const out = sender.send(bytesSource(data, 'x'));
    await until(() => offers.length === 1, { what: 'offer', intervalMs: 5 });
    offers[0]!.accept();
    await out.finished;
    const ch = a.createDataChannel(`parley-file/${out.id}`) as unknown as FakeDataChannel;
    await until(() => ch.readyState === 'open', { what: 'open', intervalMs: 5 });
    const got: string[] = [];
    ch.addEventListener('message', (ev) => got.push((ev as MessageEvent).data));
    ch.send(JSON.stringify({ type: 'file.offer', id: out.id, name: 'x', size: data.length, mime: '' }));
    await until(() => got.length === 1, { what: 'answer', intervalMs: 5 });
    assert.deepEqual(JSON.parse(got[0]!), { type: 'file.received', id: out.id, sha256: sha(data) });
  });

  it('refuses a re-offer that describes another file with RESUME_MISMATCH', async () => {
    const { a, fa, fb, sender, offers } = setup({ ...opts, autoResume: false } as typeof opts);
    const out = sender.send(bytesSource(randomBytes(500_000), 'x'));
    await cutAfter(fa, fb, out.id, 10);
    await until(() => offers.length === 1, { what: 'offer', intervalMs: 5 });
    offers[0]!.accept();
    await until(() => offers[0]!.state === 'interrupted', { what: 'interrupted', intervalMs: 5 });
    const ch = a.createDataChannel(`parley-file/${out.id}`) as unknown as FakeDataChannel;
    await until(() => ch.readyState === 'open', { what: 'open', intervalMs: 5 });
    const got: string[] = [];
    ch.addEventListener('message', (ev) => got.push((ev as MessageEvent).data));
    ch.send(JSON.stringify({ type: 'file.offer', id: out.id, name: 'other', size: 5, mime: '' }));
    await until(() => got.length === 1, { what: 'answer', intervalMs: 5 });
    assert.equal(JSON.parse(got[0]!).code, 'RESUME_MISMATCH');
    assert.equal(offers[0]!.state, 'interrupted', 'the kept transfer waits for the right file');
  });

  it('gives an interrupted receive up with RESUME_TIMEOUT', async () => {
    const { sender, offers, fa, fb } = setup({
      ...opts,
      autoResume: false,
      resumeTimeoutMs: 50,
    } as typeof opts);
    const out = sender.send(bytesSource(randomBytes(500_000), 'x'));
    await cutAfter(fa, fb, out.id, 10);
    await until(() => offers.length === 1, { what: 'offer', intervalMs: 5 });
    offers[0]!.accept();
    const r = await offers[0]!.finished;
    assert.equal(r.error?.code, 'RESUME_TIMEOUT');
    out.cancel();
  });

  it('emits monotonic progress with rate and ETA on both sides', async () => {
    const { sender, offers } = setup({ ...opts, progressIntervalMs: 5 } as typeof opts);
    const data = randomBytes(3 * 1024 * 1024);
    const out = sender.send(bytesSource(data, 'x'));
    // Collected in the listeners, asserted once the transfer is over (a listener that throws
    // would only fail the test through the emitter's rethrow).
    const sent: TransferProgress[] = [];
    out.on('progress', (p) => sent.push({ ...p }));
    await until(() => offers.length === 1, { what: 'offer', intervalMs: 5 });
    const got: TransferProgress[] = [];
    offers[0]!.on('progress', (p) => got.push({ ...p }));
    offers[0]!.accept();
    await Promise.all([out.finished, offers[0]!.finished]);
    for (const [side, series] of [
      ['sender', sent],
      ['receiver', got],
    ] as const) {
      assert.ok(series.length >= 1, side);
      for (let i = 1; i < series.length; i++) assert.ok(series[i]!.bytes >= series[i - 1]!.bytes, side);
      assert.equal(series.at(-1)!.bytes, data.length, side);
      for (const p of series) {
        assert.equal(p.total, data.length, side);
        assert.ok(p.rateBytesPerSec >= 0, side);
        // ETA: the bytes left at the current rate (ms), unknown (null) while the rate is 0.
        const left = p.total - p.bytes;
        if (left === 0) assert.equal(p.etaMs, 0, side);
        else if (p.rateBytesPerSec === 0) assert.equal(p.etaMs, null, side);
        else
          assert.ok(
            Math.abs(p.etaMs! - (left * 1000) / p.rateBytesPerSec) <= 1,
            `${side}: ${JSON.stringify(p)}`,
          );
      }
    }
  });
});
