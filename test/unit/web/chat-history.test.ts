/**
 * Room history for late joiners (packages/web/src/app/chat-history.ts), as a stranger: huge,
 * many, malformed, repeated, from the future; each author supplies only their own texts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHAT_LIMITS } from '@parley/protocol';
import { HISTORY_LIMITS, HistoryInbox, historyBatch } from '../../../packages/web/src/app/chat-history.ts';

const msg = (i: number, text = `m${i}`) => ({ id: `id-${i}`, text, ts: 1_000 + i });

describe('historyBatch', () => {
  it('sends our most recent texts, oldest first, bounded in count', () => {
    const mine = Array.from({ length: HISTORY_LIMITS.messages + 10 }, (_, i) => msg(i));
    const batch = historyBatch(mine);
    assert.equal(batch.messages.length, HISTORY_LIMITS.messages);
    assert.equal(batch.messages[0]?.id, 'id-10');
    assert.equal(batch.messages.at(-1)?.id, `id-${HISTORY_LIMITS.messages + 9}`);
  });

  it('stays within the byte budget, so the batch fits one chat-channel message', () => {
    const long = 'é'.repeat(CHAT_LIMITS.textMaxChars);
    const mine = Array.from({ length: 20 }, (_, i) => msg(i, long));
    const batch = historyBatch(mine);
    const bytes = new TextEncoder().encode(
      JSON.stringify({ type: 'app', kind: 'parley.history', data: batch }),
    ).length;
    assert.ok(batch.messages.length >= 1);
    assert.ok(bytes <= CHAT_LIMITS.maxMessageBytes, `${bytes} bytes`);
  });
});

describe('HistoryInbox', () => {
  it('accepts a well-formed batch, in time order', () => {
    const inbox = new HistoryInbox();
    const out = inbox.accept('bob', { messages: [msg(2), msg(1)] }, 10_000);
    assert.deepEqual(
      out?.map((m) => m.id),
      ['id-1', 'id-2'],
    );
  });

  it('refuses malformed batches whole: wrong shapes, extra fields, bad values', () => {
    const inbox = new HistoryInbox();
    const bad: unknown[] = [
      null,
      'x',
      [],
      { messages: 'x' },
      { messages: [msg(1)], extra: 1 },
      { messages: [{ ...msg(1), from: 'alice' }] }, // a forged author field
      { messages: [{ id: '', text: 'x', ts: 1 }] },
      { messages: [{ id: 'a', text: '   ', ts: 1 }] },
      { messages: [{ id: 'a', text: 'x', ts: -1 }] },
      { messages: [{ id: 'a', text: 'x', ts: 1.5 }] },
      { messages: [{ id: 'x'.repeat(CHAT_LIMITS.idMaxChars + 1), text: 'x', ts: 1 }] },
      { messages: [{ id: 'a', text: 'x'.repeat(CHAT_LIMITS.textMaxChars + 1), ts: 1 }] },
      { messages: Array.from({ length: HISTORY_LIMITS.messages + 1 }, (_, i) => msg(i)) },
    ];
    for (const data of bad)
      assert.equal(inbox.accept('bob', data, 10_000), null, JSON.stringify(data)?.slice(0, 80));
  });

  it('drops repeats (a batch sent again, a text seen live) and times in the future', () => {
    const inbox = new HistoryInbox();
    inbox.noteLive('bob', 'id-3');
    const now = 10_000;
    const future = { id: 'f', text: 'from the future', ts: now + HISTORY_LIMITS.futureSkewMs + 1 };
    assert.deepEqual(
      inbox.accept('bob', { messages: [msg(1), msg(3), future] }, now)?.map((m) => m.id),
      ['id-1'],
    );
    assert.deepEqual(inbox.accept('bob', { messages: [msg(1)] }, now), []);
  });

  it('keeps ids per sender: the same id from another author is another message', () => {
    const inbox = new HistoryInbox();
    assert.equal(inbox.accept('bob', { messages: [msg(1)] }, 10_000)?.length, 1);
    assert.equal(inbox.accept('carol', { messages: [msg(1)] }, 10_000)?.length, 1);
  });

  it('takes at most HISTORY_LIMITS.messages from one sender, however many batches', () => {
    const inbox = new HistoryInbox();
    let total = 0;
    for (let b = 0; b < 5; b++) {
      const batch = Array.from({ length: HISTORY_LIMITS.messages }, (_, i) => msg(b * 1000 + i));
      total += inbox.accept('mallory', { messages: batch }, 10_000_000)?.length ?? 0;
    }
    assert.equal(total, HISTORY_LIMITS.messages);
  });
});
