import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CLIENT_MESSAGE_TYPES,
  chooseVersion,
  closeCodeFor,
  decodeClient,
  decodeServer,
  ERROR_REASONS,
  ERRORS,
  LIMITS,
  ParleyError,
} from '@parley/protocol';

describe('decodeClient', () => {
  it('accepts a valid hello and keeps its fields', () => {
    const r = decodeClient(JSON.stringify({ type: 'hello', versions: ['1'], name: 'alice', id: 1 }));
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.msg, { type: 'hello', versions: ['1'], name: 'alice', id: 1 });
  });

  it('checks size before parsing: an oversized frame is TOO_LARGE even when it is not JSON', () => {
    const r = decodeClient('x'.repeat(LIMITS.maxFrameBytes + 1));
    assert.ok(!r.ok, JSON.stringify(r));
    assert.equal(r.code, 'TOO_LARGE');
  });

  it('counts UTF-8 bytes, not characters', () => {
    const text = JSON.stringify({ type: 'signal', to: 'bob', data: 'é'.repeat(LIMITS.maxFrameBytes / 2) });
    assert.ok(text.length < LIMITS.maxFrameBytes);
    const r = decodeClient(text);
    assert.equal(r.ok ? 'ok' : r.code, 'TOO_LARGE');
    const r2 = decodeClient(Buffer.from(text));
    assert.equal(r2.ok ? 'ok' : r2.code, 'TOO_LARGE');
  });

  it('answers BAD_JSON for broken JSON, arrays and primitives', () => {
    for (const raw of ['{', 'null', '[1]', '42', '"s"', '']) {
      const r = decodeClient(raw);
      assert.equal(r.ok ? 'ok' : r.code, 'BAD_JSON', raw);
    }
  });

  it('answers BAD_JSON for invalid UTF-8 bytes', () => {
    const r = decodeClient(new Uint8Array([0x7b, 0xff, 0x7d]));
    assert.equal(r.ok ? 'ok' : r.code, 'BAD_JSON');
  });

  it('answers UNKNOWN_TYPE with the request id echoed as re', () => {
    const r = decodeClient(JSON.stringify({ type: 'teleport', id: 'x1' }));
    assert.ok(!r.ok, JSON.stringify(r));
    assert.equal(r.code, 'UNKNOWN_TYPE');
    assert.equal(r.re, 'x1');
    const noType = decodeClient('{"id":3}');
    assert.equal(noType.ok ? 'ok' : noType.code, 'UNKNOWN_TYPE');
  });

  it('does not treat inherited properties as message types', () => {
    for (const type of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const r = decodeClient(JSON.stringify({ type }));
      assert.equal(r.ok ? 'ok' : r.code, 'UNKNOWN_TYPE', type);
    }
  });

  it('refuses a forged from on signal (strict schema) with BAD_MESSAGE', () => {
    const r = decodeClient(JSON.stringify({ type: 'signal', to: 'bob', from: 'carol', data: {} }));
    assert.equal(r.ok ? 'ok' : r.code, 'BAD_MESSAGE');
  });

  it('requires data on signal and validates names', () => {
    assert.equal(decodeClient('{"type":"signal","to":"bob"}').ok, false);
    const bad = decodeClient(JSON.stringify({ type: 'hello', versions: ['1'], name: 'a b' }));
    assert.equal(bad.ok ? 'ok' : bad.code, 'BAD_MESSAGE');
    const long = decodeClient(JSON.stringify({ type: 'hello', versions: ['1'], name: 'a'.repeat(33) }));
    assert.equal(long.ok ? 'ok' : long.code, 'BAD_MESSAGE');
    const ok = decodeClient(JSON.stringify({ type: 'hello', versions: ['1'], name: 'A_z.0-9' }));
    assert.equal(ok.ok, true);
  });

  it('has a schema for every documented client type', () => {
    assert.ok(CLIENT_MESSAGE_TYPES.includes('hello'));
    assert.ok(CLIENT_MESSAGE_TYPES.includes('signal'));
  });
});

describe('decodeServer', () => {
  it('keeps a known error reason and reads an unknown one as absent, so a newer server cannot break the frame', () => {
    const err = (reason: unknown) =>
      decodeServer(JSON.stringify({ type: 'error', code: 'FORBIDDEN', message: 'm', reason }));
    const known = err('room_open');
    assert.ok(known.ok && known.msg.type === 'error');
    assert.equal(known.msg.reason, 'room_open');
    for (const unknown of ['from_the_future', 1, null, { a: 1 }]) {
      const r = err(unknown);
      assert.ok(r.ok && r.msg.type === 'error', String(unknown));
      assert.equal(r.msg.reason, undefined);
      assert.equal(r.msg.code, 'FORBIDDEN');
    }
  });

  it('every error reason names an existing code', () => {
    for (const [reason, spec] of Object.entries(ERROR_REASONS)) assert.ok(spec.code in ERRORS, reason);
  });

  it('ignores unknown fields so a newer server does not break older clients', () => {
    const r = decodeServer(JSON.stringify({ type: 'signal', from: 'bob', data: 1, extra: true }));
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.msg, { type: 'signal', from: 'bob', data: 1 });
  });

  it('rejects an error frame with an unknown code', () => {
    const r = decodeServer(JSON.stringify({ type: 'error', code: 'NOPE', message: 'x' }));
    assert.equal(r.ok ? 'ok' : r.code, 'BAD_MESSAGE');
  });
});

describe('errors table', () => {
  it('gives every fatal code a distinct close code in 4000–4999', () => {
    const seen = new Set<number>();
    for (const [code, spec] of Object.entries(ERRORS)) {
      if (!spec.fatal) continue;
      const c = closeCodeFor(code as keyof typeof ERRORS);
      assert.ok(c >= 4000 && c <= 4999, code);
      assert.ok(!seen.has(c), `${code} reuses close code ${c}`);
      seen.add(c);
    }
  });

  it('ParleyError keeps its code and defaults its message to the summary', () => {
    const e = new ParleyError('ROOM_FULL');
    assert.equal(e.code, 'ROOM_FULL');
    assert.equal(e.message, ERRORS.ROOM_FULL.summary);
    assert.equal(e.fatal, false);
    assert.equal(e.name, 'ParleyError');
  });
});

describe('chooseVersion', () => {
  it('picks 1 when offered and null otherwise', () => {
    assert.equal(chooseVersion(['2', '1']), '1');
    assert.equal(chooseVersion(['0']), null);
  });
});
