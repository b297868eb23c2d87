import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acquireMedia, videoBitrateForPeers } from '../../../packages/client/src/features/media.ts';

const fakeStream = (kinds: string[]) =>
  ({ getTracks: () => kinds.map((kind) => ({ kind, stop() {} })) }) as unknown as MediaStream;

describe('media › videoBitrateForPeers', () => {
  it('shares a 4 Mbit/s upload budget, between 150 kbit/s and 2.5 Mbit/s per peer', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 8, 26, 100].map((n) => videoBitrateForPeers(n)),
      [2_500_000, 2_500_000, 2_000_000, 1_333_333, 1_000_000, 500_000, 153_846, 150_000],
    );
  });
  it('never rises as the mesh grows', () => {
    for (let n = 1; n < 50; n++) assert.ok(videoBitrateForPeers(n + 1) <= videoBitrateForPeers(n));
  });
});

describe('media › acquireMedia', () => {
  it('uses the app’s stream as is and never owns it', async () => {
    const stream = fakeStream(['video']);
    const got = await acquireMedia({ stream }, () => Promise.reject(new Error('not called')));
    assert.equal(got.stream, stream);
    assert.equal(got.owned, false);
  });

  it('falls back to audio only, then to receive-only, when getUserMedia is refused', async () => {
    const asked: MediaStreamConstraints[] = [];
    const denied = new Error('denied');
    denied.name = 'NotAllowedError';
    const audioOnly = await acquireMedia({}, async (c) => {
      asked.push(c);
      if (c.video) throw denied;
      return fakeStream(['audio']);
    });
    assert.deepEqual(asked, [{ audio: true, video: true }, { audio: true }]);
    assert.equal(audioOnly.owned, true);
    assert.equal(audioOnly.error, denied);

    const none = await acquireMedia({}, async () => {
      throw denied;
    });
    assert.equal(none.stream, null);
    assert.equal(none.owned, false);
    assert.equal(none.error, denied);
  });

  it('joins receive-only with media: false or without getUserMedia', async () => {
    assert.equal((await acquireMedia({ media: false }, async () => fakeStream(['video']))).stream, null);
    assert.equal((await acquireMedia({}, undefined)).stream, null);
  });
});
