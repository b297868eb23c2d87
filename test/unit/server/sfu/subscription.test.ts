/** The pure part of a member's SFU subscription: feed plans, stream changes, the update request. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  activeMids,
  diffStreams,
  type JanusStream,
  janusStreamsOf,
  nothingChanges,
  planFeeds,
  type StreamChanges,
  updateRequest,
} from '../../../../packages/server/src/sfu/subscription.ts';

const none = (): StreamChanges => ({ add: [], end: [] });

describe('SFU subscription', () => {
  it('planFeeds › keeps the requested feeds that publish, never the member itself', () => {
    const publishing = new Map([
      ['alice', 11],
      ['bob', 12],
      ['me', 13],
    ]);
    const plan = planFeeds(publishing, ['alice', 'me', 'ghost', 'bob'], 'me', new Map());
    assert.deepEqual(
      [...plan.target],
      [
        ['alice', 11],
        ['bob', 12],
      ],
    );
    assert.deepEqual(plan.added, [
      ['alice', 11],
      ['bob', 12],
    ]);
    assert.deepEqual(plan.removed, []);
  });

  it('planFeeds › drops feeds no longer asked for, and swaps a feed that published again under a new id', () => {
    const current = new Map([
      ['alice', 11],
      ['bob', 12],
    ]);
    const plan = planFeeds(
      new Map([
        ['alice', 21],
        ['bob', 12],
      ]),
      ['alice'],
      'me',
      current,
    );
    assert.deepEqual(plan.added, [['alice', 21]]);
    assert.deepEqual(plan.removed, [
      ['alice', 11],
      ['bob', 12],
    ]);
  });

  it('nothingChanges › only when no feed and no stream changes', () => {
    const same = planFeeds(new Map([['a', 1]]), ['a'], 'me', new Map([['a', 1]]));
    assert.equal(nothingChanges(same, none()), true);
    assert.equal(nothingChanges(same, { add: [{ feed: 1, mid: '2' }], end: [] }), false);
    assert.equal(nothingChanges(planFeeds(new Map([['a', 1]]), ['a'], 'me', new Map()), none()), false);
  });

  it('activeMids and diffStreams › the publisher mids to add and to end for one feed', () => {
    const streams: JanusStream[] = [
      { mid: '0', feedId: 7, feedMid: '0', active: true },
      { mid: '1', feedId: 7, feedMid: '1', active: false },
      { mid: '2', feedId: 7, feedMid: '2', active: true },
      { mid: '3', feedId: 8, feedMid: '0', active: true },
    ];
    const had = activeMids(streams, 7);
    assert.deepEqual(had, ['0', '2']);
    const changes = none();
    diffStreams(changes, 7, ['0', '3'], had);
    assert.deepEqual(changes, { add: [{ feed: 7, mid: '3' }], end: [{ feed: 7, mid: '2' }] });
  });

  it('updateRequest › subscribe and unsubscribe lists only when they hold something', () => {
    const plan = planFeeds(new Map([['a', 1]]), ['a'], 'me', new Map([['b', 2]]));
    assert.deepEqual(updateRequest(plan, { add: [{ feed: 3, mid: '1' }], end: [] }), {
      request: 'update',
      subscribe: [{ feed: 1 }, { feed: 3, mid: '1' }],
      unsubscribe: [{ feed: 2 }],
    });
    const streamsOnly = planFeeds(new Map([['a', 1]]), ['a'], 'me', new Map([['a', 1]]));
    assert.deepEqual(updateRequest(streamsOnly, { add: [], end: [{ feed: 1, mid: '2' }] }), {
      request: 'update',
      unsubscribe: [{ feed: 1, mid: '2' }],
    });
  });

  it('janusStreamsOf › keeps the entries with our mid and the feed id and mid; inactive only when said so', () => {
    assert.deepEqual(
      janusStreamsOf({
        streams: [
          { mid: '0', feed_id: 5, feed_mid: '1' },
          { mid: '1', feed_id: 5, feed_mid: '2', active: false },
          { mid: '2', feed_id: '5', feed_mid: '3' },
          { mid: '3', type: 'data' },
          'junk',
        ],
      }),
      [
        { mid: '0', feedId: 5, feedMid: '1', active: true },
        { mid: '1', feedId: 5, feedMid: '2', active: false },
      ],
    );
    assert.deepEqual(janusStreamsOf({}), []);
  });
});
