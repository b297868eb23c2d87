/** SFU sources: client `sources` → Janus `descriptions`, Janus stream info → `sfu.offer` streams. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { janusDescriptions, sdpMids, sourceOf } from '../../../../packages/server/src/sfu/sources.ts';
import { streamsOf } from '../../../../packages/server/src/sfu/subscription.ts';
import { fakePublisherOffer } from '../../../helpers/fake-sdp.ts';

describe('SFU sources', () => {
  it('sdpMids › reads every a=mid line', () => {
    assert.deepEqual([...sdpMids(fakePublisherOffer())], ['0', '1']);
    assert.deepEqual([...sdpMids('v=0\nm=video 9 x 96\na=mid:video-2\n')], ['video-2']);
  });

  it('janusDescriptions › keeps sources whose mid is in the offer (first per mid), drops the rest', () => {
    const sdp = fakePublisherOffer();
    assert.deepEqual(
      janusDescriptions(sdp, [
        { mid: '1', source: 'screen' },
        { mid: '9', source: 'camera' },
        { mid: '0', source: 'microphone' },
        { mid: '1', source: 'camera' },
      ]),
      [
        { mid: '1', description: 'screen' },
        { mid: '0', description: 'microphone' },
      ],
    );
    assert.equal(janusDescriptions(sdp, [{ mid: '7', source: 'camera' }]), undefined);
    assert.equal(janusDescriptions(sdp, undefined), undefined);
    assert.equal(janusDescriptions(sdp, []), undefined);
  });

  it('streamsOf › passes only SfuSource descriptions and never Janus ids', () => {
    const streams = streamsOf({
      streams: [
        {
          mid: '0',
          type: 'audio',
          feed_id: 123,
          feed_display: 'ann',
          feed_description: 'microphone',
          active: true,
        },
        { mid: '1', type: 'video', feed_id: 123, feed_display: 'ann', feed_description: 'screen' },
        { mid: '2', type: 'video', feed_id: 456, feed_display: 'bob', feed_description: '<b>hi</b>' },
        { mid: '3', type: 'video', feed_id: 456, feed_display: 'bob' },
        { mid: '4', type: 'data', feed_id: 456, feed_display: 'bob' },
        { mid: '5', type: 'video', feed_id: 789, feed_display: 'gone', active: false },
      ],
    });
    assert.deepEqual(streams, [
      { mid: '0', feed: 'ann', kind: 'audio', source: 'microphone' },
      { mid: '1', feed: 'ann', kind: 'video', source: 'screen' },
      { mid: '2', feed: 'bob', kind: 'video' },
      { mid: '3', feed: 'bob', kind: 'video' },
    ]);
    assert.equal(sourceOf('camera'), 'camera');
    assert.equal(sourceOf('Camera'), undefined);
    assert.equal(sourceOf(1), undefined);
  });
});
