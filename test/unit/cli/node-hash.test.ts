import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { nodeSha256 } from '../../../packages/cli/src/files/node-hash.ts';
import {
  bytesSource,
  FileTransfers,
  type IncomingTransfer,
} from '../../../packages/client/src/features/file-transfer.ts';
import { Sha256 } from '../../../packages/client/src/features/sha256.ts';
import { until } from '../../helpers/wait.ts';
import { fakePair } from '../client/fake-peer-connection.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const opts = {
  chunkBytes: 16 * 1024,
  readBlockBytes: 64 * 1024,
  highWaterBytes: 256 * 1024,
  lowWaterBytes: 64 * 1024,
  ackBytes: 64 * 1024,
};
const managers: FileTransfers[] = [];
afterEach(() => {
  for (const m of managers.splice(0)) m.close();
});

describe('nodeSha256 (the CLI’s native file hash)', () => {
  it('gives the same digest as the SDK’s Sha256 for any slicing, and clone() forks the state', () => {
    const data = randomBytes(300_001);
    const js = new Sha256();
    const native = nodeSha256();
    for (let at = 0, step = 1; at < data.length; at += step, step = (step * 7 + 13) % 70_000) {
      const slice = data.subarray(at, at + step);
      js.update(slice);
      native.update(slice);
    }
    const fork = native.clone();
    native.update(data);
    fork.update(new Uint8Array([1, 2, 3]));
    const both = new Uint8Array(data.length * 2);
    both.set(data);
    both.set(data, data.length);
    assert.equal(js.clone().hex(), sha(data));
    assert.equal(native.hex(), sha(both));
    assert.equal(fork.hex(), sha(Buffer.concat([data, Buffer.from([1, 2, 3])])));
  });

  it('a native-hash sender and a JavaScript-hash receiver agree, across a cut and a resume from a snapshot', async () => {
    const pcs = fakePair();
    const sender = new FileTransfers({ ...opts, createHash: nodeSha256 });
    const receiver = new FileTransfers(opts);
    managers.push(sender, receiver);
    sender.attach(pcs.a);
    receiver.attach(pcs.b);
    const offers: IncomingTransfer[] = [];
    receiver.on('offer', (t) => offers.push(t));
    const data = randomBytes(1024 * 1024 + 5);
    const out = sender.send(bytesSource(data, 'n.bin'));
    // Drop everything after 20 chunks and close the receiver's end: the sender resumes from its
    // hash snapshot at the receiver's kept offset (clone() of the native state).
    const channel = () => pcs.fa.channels.filter((c) => c.label === `parley-file/${out.id}`).at(-1);
    await until(() => channel() !== undefined, { what: 'channel', intervalMs: 5 });
    let chunks = 0;
    channel()!.tamper = (m) => {
      if (typeof m === 'string') return m;
      if (++chunks === 20)
        setImmediate(() =>
          pcs.fb.channels
            .filter((c) => c.label === `parley-file/${out.id}`)
            .at(-1)!
            .close(),
        );
      return chunks > 20 ? null : m;
    };
    await until(() => offers.length === 1, { what: 'offer', intervalMs: 5 });
    const states: string[] = [];
    out.on('state', (s) => states.push(s));
    offers[0]!.accept();
    const [r1, r2] = await Promise.all([out.finished, offers[0]!.finished]);
    assert.deepEqual(r1, { state: 'completed', sha256: sha(data) });
    assert.deepEqual(r2, { state: 'completed', sha256: sha(data) });
    assert.ok(states.includes('interrupted'), `states: ${states.join(',')}`);
    assert.deepEqual(Buffer.from(await offers[0]!.blob!.arrayBuffer()), data);
  });
});
