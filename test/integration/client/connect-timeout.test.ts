/**
 * The SDK in Node over the real `ws` package: a server that accepts TCP but never answers the
 * WebSocket upgrade (a stalled proxy, a node frozen mid-restart). The connect times out, the SDK
 * gives the socket up and says so, and the process lives on. Found by bench/restart (issue
 * 27): `ws` emits `error` when a connecting socket is closed, and the SDK had dropped its error
 * handler first, so the load process died of an unhandled `error` event.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import type { WebSocketConstructor } from '@parley/client';
import { WebSocket } from 'ws';
import { SignalingClient } from '../../../packages/client/src/signaling/signaling-client.ts';

describe('SDK signaling over ws in Node', () => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  after(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });

  it('a connect that times out fails cleanly: open() rejects, no unhandled error event', async () => {
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const { port } = silent.address() as net.AddressInfo;
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    const client = new SignalingClient(`ws://127.0.0.1:${port}/ws`, {
      name: 'stalled',
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      storage: null,
      connectTimeoutMs: 150,
    });
    const states: string[] = [];
    client.on('state', (s) => states.push(s));
    try {
      await assert.rejects(client.open(), /timeout/);
      assert.equal(sockets.size, 1, 'the upgrade reached the server and stalled there');
      // `ws` reports the closed-while-connecting socket on a later tick: give it a few.
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(uncaught, []);
      assert.equal(states.at(-1), 'failed');
    } finally {
      process.off('uncaughtException', onUncaught);
      client.close({ bye: false });
    }
  });
});
