/**
 * The SDK's layers, enforced: signaling connection → peer sessions → features → SFU session →
 * conversations (calls, rooms and the routing between them) → the client → the package face.
 * docs/ARCHITECTURE.md quotes this table; a new folder or top-level file must be placed in it.
 */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { type LayerTable, layerViolations } from '../../helpers/import-layers.ts';

export const CLIENT_LAYERS: LayerTable = [
  // The SDK's errors, its listener-safe emitter and its loggers.
  { layer: 'foundation', holds: ['errors.ts', 'events.ts', 'log.ts'] },
  // One WebSocket to the server: login, resume, reconnect, requests, liveness.
  { layer: 'signaling', holds: ['signaling/'] },
  // One RTCPeerConnection per remote peer: perfect negotiation and its helpers.
  { layer: 'peer', holds: ['peer/'] },
  // What rides on a peer session: media, chat, files, stats, the peer link.
  { layer: 'features', holds: ['features/'] },
  // The SFU session of a large room (one upstream, one downstream).
  { layer: 'sfu', holds: ['sfu/'] },
  // Calls and rooms, and the one place that routes frames to them.
  {
    layer: 'conversations',
    holds: ['call.ts', 'room.ts', 'room-speaker.ts', 'room-moderation.ts', 'host.ts', 'conversations.ts'],
  },
  // ParleyClient, which owns the signaling connection and the conversations.
  { layer: 'client', holds: ['client.ts'] },
  { layer: 'face', holds: ['index.ts', 'e2ee.ts'] },
];

const ROOT = resolve(import.meta.dirname, '../../../packages/client/src');

describe('client layers', () => {
  const { unplaced, upward } = layerViolations(ROOT, CLIENT_LAYERS);
  it('every SDK file has a layer', () => assert.deepEqual(unplaced, [], 'add it to CLIENT_LAYERS'));
  it('no import runs up a layer (peer sessions never reach for features, features never for calls)', () =>
    assert.deepEqual(upward, []));
});
