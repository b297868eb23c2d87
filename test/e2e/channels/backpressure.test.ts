import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChannelBufferFullError } from '@parley/client';
import { startServer } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';
import { NodeChannelPeer } from './harness.ts';

// Backpressure of app channels on the Node peer (the CLI's stack), two members of a room through
// the real server: a sender that outruns the link either waits (awaiting send) or is refused
// past its cap; what it buffers never exceeds the cap.
describe('app channels › backpressure (Node peers)', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.close();
  });

  it('a sender that never waits is refused past maxBufferedBytes; awaiting sends stay under it and all arrive', async () => {
    const a = await NodeChannelPeer.connect(server.wsUrl, 'bp-a');
    const b = await NodeChannelPeer.connect(server.wsUrl, 'bp-b');
    try {
      await a.join('bp');
      await b.join('bp');
      const cap = 2 * 1024 * 1024;
      const sender = a.open('bulk', { highWaterMarkBytes: 256 * 1024, maxBufferedBytes: cap });
      const receiver = b.open('bulk', { highWaterMarkBytes: 256 * 1024, maxBufferedBytes: cap });
      let got = 0;
      receiver.on('message', (d) => {
        got += (d as ArrayBuffer).byteLength;
      });
      await until(() => sender.peers.length === 1 && receiver.peers.length === 1, {
        timeoutMs: 15_000,
        what: 'bulk open',
      });
      const chunk = new Uint8Array(16 * 1024);
      // Fire and forget: 64 MiB offered in one task, far faster than the link can take it.
      let accepted = 0;
      let refused: unknown;
      for (let i = 0; i < 4096; i++) {
        try {
          void sender.send(chunk);
          accepted += chunk.byteLength;
        } catch (error) {
          refused = error;
          break;
        }
        assert.ok(sender.bufferedAmount <= cap, `buffered ${sender.bufferedAmount} > cap`);
      }
      assert.ok(refused instanceof ChannelBufferFullError, `refused with ${String(refused)}`);
      // The link takes some while the loop runs, so more than the cap may be accepted in all,
      // but far from the 64 MiB offered.
      assert.ok(accepted > cap / 2 && accepted < 16 * cap, `accepted ${accepted}`);
      // Awaiting: 32 MiB go through without the buffer passing the cap; drain fires.
      let drains = 0;
      sender.on('drain', () => drains++);
      await sender.next('drain', { timeoutMs: 15_000 });
      let most = 0;
      for (let i = 0; i < 2048; i++) {
        await sender.send(chunk);
        most = Math.max(most, sender.bufferedAmount);
      }
      assert.ok(most <= cap, `most buffered ${most}`);
      assert.ok(drains > 0, 'drain fired while awaiting');
      const total = accepted + 2048 * chunk.byteLength;
      await until(() => got === total, { timeoutMs: 60_000, what: `all ${total} bytes arrive (got ${got})` });
    } finally {
      a.close();
      b.close();
    }
  });
});
