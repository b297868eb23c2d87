/** What is kept of a call after hang-up (packages/web/src/app/conversation-record.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AfterCalls,
  ConversationRecord,
  RECORD_LIMITS,
} from '../../../packages/web/src/app/conversation-record.ts';

describe('ConversationRecord', () => {
  it('keeps texts, files and system lines in order, with who was there', () => {
    const r = new ConversationRecord('call', 'bob', 1000);
    r.text('alice', 'hi', true, 1100);
    r.text('bob', 'hello', false, 1200);
    const f = r.file('bob', 'notes.txt', 12, false, 1300);
    r.system('bob left', 1400);
    assert.deepEqual(
      r.entries.map((e) => e.kind),
      ['text', 'text', 'file', 'system'],
    );
    assert.deepEqual(r.people, ['bob']);
    assert.equal(r.receivedFiles.length, 0, 'a file counts as received once its bytes are here');
    r.completeFile(f, new Blob(['hello world!']));
    assert.equal(r.receivedFiles.length, 1);
    const sent = r.file('bob', 'reply.txt', 3, true, 1500);
    assert.equal(sent.delivered, false);
    r.delivered(sent);
    assert.equal(sent.delivered, true);
    assert.equal(r.receivedFiles.length, 1, 'a file we sent is not a received one');
    assert.equal(r.worthKeeping, true);
  });

  it('places history ("before you joined") by time, before the live lines', () => {
    const r = new ConversationRecord('room', 'standup', 0);
    r.system('carol joined', 500);
    r.text('bob', 'second', false, 200, true);
    r.text('carol', 'first', false, 100, true);
    r.text('carol', 'third', false, 300, true);
    const texts = r.entries.map((e) => (e.kind === 'text' ? e.text : e.kind));
    assert.deepEqual(texts, ['first', 'second', 'third', 'system']);
  });

  it('is bounded: the oldest texts go first, files stay', () => {
    const r = new ConversationRecord('room', 'big', 0);
    const f = r.file('bob', 'keep.bin', 1, false, 1);
    for (let i = 0; i < RECORD_LIMITS.entries + 50; i++) r.text('bob', `m${i}`, false, i + 2);
    assert.equal(r.entries.length, RECORD_LIMITS.entries);
    assert.ok(r.entries.includes(f), 'the file is kept');
    const last = r.entries.at(-1);
    assert.ok(last?.kind === 'text' && last.text === `m${RECORD_LIMITS.entries + 49}`);
  });

  it('a record with only joins and leaves is not worth keeping', () => {
    const r = new ConversationRecord('room', 'quiet', 0);
    r.system('bob joined');
    assert.equal(r.worthKeeping, false);
  });
});

describe('AfterCalls', () => {
  it('keeps records newest first, at most RECORD_LIMITS.records, and tells listeners', () => {
    const store = new AfterCalls();
    let changes = 0;
    const off = store.onChange(() => changes++);
    const made: ConversationRecord[] = [];
    for (let i = 0; i < RECORD_LIMITS.records + 2; i++) {
      const r = new ConversationRecord('call', `p${i}`, i);
      r.text('p', 'x', false, i);
      made.push(r);
      assert.equal(store.keep(r, i + 10), true);
    }
    assert.equal(store.records.length, RECORD_LIMITS.records);
    assert.equal(store.records[0], made.at(-1));
    assert.equal(store.records[0]?.endedAt, RECORD_LIMITS.records + 1 + 10);
    assert.equal(changes, RECORD_LIMITS.records + 2);
    assert.equal(store.keep(made.at(-1)!), false, 'the same record is not kept twice');
    off();
    store.dismiss(made.at(-1)!.id);
    assert.equal(store.records.length, RECORD_LIMITS.records - 1);
    assert.equal(changes, RECORD_LIMITS.records + 2, 'an unsubscribed listener hears nothing');
    store.clear();
    assert.equal(store.records.length, 0);
  });

  it('does not keep an empty record', () => {
    const store = new AfterCalls();
    assert.equal(store.keep(new ConversationRecord('room', 'empty')), false);
    assert.equal(store.records.length, 0);
  });
});
