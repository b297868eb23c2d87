import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeClient, decodeServer, LIMITS, nestedDeeperThan } from '@parley/protocol';

/** `data` nested so that the whole frame is exactly `depth` deep (the frame object is 1). */
function signalAtDepth(depth: number, open = '[', close = ']'): string {
  const inner = depth - 1;
  return `{"type":"signal","id":"d1","to":"bob","data":${open.repeat(inner)}${close.repeat(inner)}}`;
}

function objectsAtDepth(depth: number): string {
  let data = '0';
  for (let i = 1; i < depth; i++) data = `{"a":${data}}`;
  return `{"type":"room.message","id":"d2","room":"r","data":${data}}`;
}

describe('codec › nesting depth', () => {
  it(`accepts a frame exactly ${LIMITS.frameMaxDepth} deep, of arrays or of objects`, () => {
    const arrays = decodeClient(signalAtDepth(LIMITS.frameMaxDepth));
    assert.equal(arrays.ok ? 'ok' : arrays.code, 'ok');
    const objects = decodeClient(objectsAtDepth(LIMITS.frameMaxDepth));
    assert.equal(objects.ok ? 'ok' : objects.code, 'ok');
  });

  it('answers BAD_MESSAGE, with the request id, one level past the limit', () => {
    for (const raw of [signalAtDepth(LIMITS.frameMaxDepth + 1), objectsAtDepth(LIMITS.frameMaxDepth + 1)]) {
      const r = decodeClient(raw);
      assert.ok(!r.ok, JSON.stringify(r));
      assert.equal(r.code, 'BAD_MESSAGE');
      assert.match(r.message, /more than 32 deep/);
      assert.ok(r.re === 'd1' || r.re === 'd2');
    }
  });

  it('refuses frames tens of thousands deep without overflowing the stack (decodeServer too)', () => {
    const deep = signalAtDepth(30_000);
    assert.ok(deep.length < LIMITS.maxFrameBytes);
    const r = decodeClient(deep);
    assert.equal(r.ok ? 'ok' : r.code, 'BAD_MESSAGE');
    const s = decodeServer(
      `{"type":"signal","from":"bob","data":${'{"x":'.repeat(20_000)}1${'}'.repeat(20_000)}}`,
    );
    assert.equal(s.ok ? 'ok' : s.code, 'BAD_MESSAGE');
  });

  it('counts the deepest branch, not the number of containers', () => {
    const wide = { type: 'signal', to: 'bob', data: Array.from({ length: 5000 }, () => [[{ a: [1] }]]) };
    assert.equal(nestedDeeperThan(wide, 6), false);
    assert.equal(nestedDeeperThan(wide, 5), true);
    // A deep branch hidden after many shallow siblings, and prototype-like keys, are still seen.
    const hidden = JSON.parse(
      `{"__proto__":{"constructor":[${'[1],'.repeat(100)}${'['.repeat(40)}${']'.repeat(40)}]}}`,
    );
    assert.equal(nestedDeeperThan(hidden, LIMITS.frameMaxDepth), true);
    assert.equal(nestedDeeperThan('x', 0), false);
    assert.equal(nestedDeeperThan(null, 0), false);
  });

  it("the SDK's own signal shapes stay far below the limit", () => {
    const sdp = `v=0\r\n${'a=candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host\r\n'.repeat(50)}`;
    const frames = [
      {
        type: 'signal',
        to: 'bob',
        data: { kind: 'description', scope: 'call:x', description: { type: 'offer', sdp } },
      },
      {
        type: 'signal',
        to: 'bob',
        data: {
          kind: 'candidate',
          scope: 'room:r',
          candidate: { candidate: 'candidate:1', sdpMid: '0', sdpMLineIndex: 0 },
        },
      },
      {
        type: 'signal',
        to: 'bob',
        data: { kind: 'media-state', scope: 'room:r', audio: true, video: false, screen: false },
      },
      {
        type: 'signal',
        to: 'bob',
        data: { kind: 'app', scope: 'room:r', data: { files: [{ name: 'a', size: 1 }] } },
      },
    ];
    for (const f of frames) {
      assert.equal(nestedDeeperThan(f, 5), false, JSON.stringify(f).slice(0, 80));
      const r = decodeClient(JSON.stringify(f));
      assert.equal(r.ok ? 'ok' : r.code, 'ok');
    }
  });
});
