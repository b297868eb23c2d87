/**
 * The relay's splice (issue 17): a client's `signal`/`room.message` is decoded once (validated
 * in full by the codec), and the outgoing frame carries the client's own text of `data`
 * (`DecodeResult.dataJson`) instead of `JSON.stringify(msg.data)`. These tests hold the splice to
 * what the old re-serialising path sent: byte-exact when the client's text was already canonical,
 * and the same value for every receiver's JSON.parse otherwise — for tricky payloads, a forged
 * `from` inside the data, duplicate keys, `__proto__`, escapes and unicode.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeClient, decodeServer, type JsonValue, LIMITS, topLevelValueSpan } from '@parley/protocol';
import { roomMessageFrame, signalFrame } from '../../../packages/server/src/wire/frames.ts';

const FROM = JSON.stringify('alice');

/**
 * What the server sends bob for `raw` (a client frame): the splice and the old path. For an ASCII
 * frame the splice is also built from the frame's bytes (as the connection handler does), and
 * must give the same bytes as the text splice.
 */
function bothPaths(raw: string): { spliced: string; old: string; dataJson: string | undefined } {
  const r = decodeClient(raw);
  assert.ok(r.ok, r.ok ? '' : `${r.code} ${r.message}`);
  const msg = r.msg;
  assert.ok(msg.type === 'signal' || msg.type === 'room.message');
  const build = (dataJson?: string | Buffer) =>
    msg.type === 'signal'
      ? signalFrame(FROM, msg.data, dataJson)
      : roomMessageFrame(msg.room, FROM, msg.data, dataJson);
  const spliced = build(r.dataJson).text;
  const buf = Buffer.from(raw);
  if (r.dataJson !== undefined && buf.length === raw.length) {
    assert.equal(typeof r.dataAt, 'number', 'the codec says where the data starts');
    assert.equal(raw.slice(r.dataAt, r.dataAt! + r.dataJson.length), r.dataJson);
    const fromBytes = build(buf.subarray(r.dataAt!, r.dataAt! + r.dataJson.length));
    assert.ok(fromBytes.bytes, 'an ASCII frame is spliced as bytes');
    assert.equal(fromBytes.bytes.toString('utf8'), spliced);
    assert.equal(fromBytes.text, spliced);
  }
  return { spliced, old: build().text, dataJson: r.dataJson };
}

/** Data in canonical form (as JSON.stringify writes it): the splice must be byte-exact. */
const CANONICAL: JsonValue[] = [
  null,
  0,
  -1.5,
  true,
  false,
  '',
  'quote " backslash \\ slash / newline \n tab \t nul \u0000',
  'line sep \u2028 para sep \u2029 emoji 😀 ключ',
  '"},"from":"mallory","data":{"',
  [],
  {},
  [[[]], {}, [{}]],
  { from: 'mallory', type: 'signal', to: 'carol', data: { from: 'x' } },
  { kind: 'description', description: { type: 'offer', sdp: `v=0\r\n${'a=x\r\n'.repeat(2000)}` } },
  {
    kind: 'candidate',
    candidate: { candidate: 'candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host', sdpMid: '0' },
  },
  JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":2},"ключ":["значение",{"":""}]}'),
];

describe('relay splice › byte-exact with the old path', () => {
  it('a signal whose data is canonical JSON reaches the receiver byte for byte as before', () => {
    for (const data of CANONICAL) {
      const raw = `{"type":"signal","id":7,"to":"bob","data":${JSON.stringify(data)}}`;
      const { spliced, old, dataJson } = bothPaths(raw);
      assert.equal(dataJson, JSON.stringify(data), 'the codec located the data span');
      assert.equal(spliced, old);
    }
  });

  it('a room.message likewise, with data before or after the other fields', () => {
    for (const data of CANONICAL) {
      for (const raw of [
        `{"type":"room.message","room":"r1","data":${JSON.stringify(data)}}`,
        `{"data":${JSON.stringify(data)},"room":"r1","type":"room.message","id":"m"}`,
      ]) {
        const { spliced, old, dataJson } = bothPaths(raw);
        assert.notEqual(dataJson, undefined);
        assert.equal(spliced, old);
      }
    }
  });
});

/** Frames whose data text is not canonical: the receiver must still parse the same value. */
const NON_CANONICAL: string[] = [
  // Whitespace everywhere JSON allows it.
  ' { "type" : "signal" , "to" : "bob" , "data" : { "a" : [ 1 , 2 ] , "b" : "c" } } ',
  '{"type":"signal","to":"bob","data":\r\n\t[ ]\n}',
  // Escapes the old path would have rewritten.
  '{"type":"signal","to":"bob","data":"\\u0041\\/\\u00e9\\ud83d\\ude00"}',
  '{"type":"signal","to":"bob","data":{"k":"a\\"b\\\\","\\u0066rom":"mallory"}}',
  // A backslash run before a closing quote (even count: the quote ends the string).
  '{"type":"signal","to":"bob","data":["\\\\\\\\",{"x":"\\\\"}]}',
  // Duplicate keys inside data: every receiver keeps the last, as the old text had.
  '{"type":"signal","to":"bob","data":{"from":"mallory","from":"eve","a":1,"a":{"b":2}}}',
  // `__proto__` inside data stays an own property on the receiving side.
  '{"type":"signal","to":"bob","data":{"__proto__":{"admin":true},"x":[{"__proto__":null}]}}',
  // A forged from next to data at the top level is refused by the strict schema (tested below);
  // inside data it is just data.
  '{"type":"signal","to":"bob","data":"{\\"type\\":\\"signal\\",\\"from\\":\\"mallory\\"}"}',
  // Duplicate top-level data: JSON.parse keeps the last, and so must the splice.
  '{"type":"signal","to":"bob","data":{"first":1},"data":{"second":2}}',
  // Numbers as written (no exponent): digits kept as sent parse to the same double.
  '{"type":"signal","to":"bob","data":[0.10,-1.50,12345678901234567890,1.0]}',
  // Unicode outside the BMP, unescaped, and the separators JSON.stringify leaves as they are.
  '{"type":"signal","to":"bob","data":"😀 \u2028 \u2029 ключ"}',
];

describe('relay splice › same value for every receiver', () => {
  for (const raw of NON_CANONICAL) {
    it(`relays ${JSON.stringify(raw.slice(0, 60))}… as the same value`, () => {
      const { spliced, old } = bothPaths(raw);
      const a = decodeServer(spliced);
      const b = decodeServer(old);
      assert.ok(a.ok && b.ok);
      assert.deepEqual(a.msg, b.msg);
      // `from` is the server's stamp, whatever the data holds.
      assert.equal((a.msg as { from: string }).from, 'alice');
      assert.equal(Object.keys(a.msg).join(), 'type,from,data');
      // Own keys (a `__proto__` key included) come through as own keys, in the same order.
      assert.equal(JSON.stringify(a.msg), JSON.stringify(b.msg));
    });
  }
});

describe('relay splice › falls back to re-serialising when the text is not the plain case', () => {
  it('an exponent (1e400 is Infinity, which the old path wrote as null) is re-serialised', () => {
    const { spliced, old, dataJson } = bothPaths('{"type":"signal","to":"bob","data":[1e400,2E-3]}');
    assert.equal(dataJson, undefined);
    assert.equal(spliced, old);
    assert.match(spliced, /"data":\[null,0\.002\]/);
  });

  it('a top-level key spelt with an escape ("d\\u0061ta") is not guessed at', () => {
    const raw = '{"type":"signal","to":"bob","d\\u0061ta":{"x":1}}';
    const { spliced, old, dataJson } = bothPaths(raw);
    assert.equal(dataJson, undefined);
    assert.equal(spliced, old);
  });

  it('a negative zero (written 0 by the old path) is re-serialised', () => {
    for (const z of ['-0', '-0.0', '-0.000']) {
      const { spliced, old, dataJson } = bothPaths(`{"type":"signal","to":"bob","data":[1,${z},-0.5]}`);
      assert.equal(dataJson, undefined, z);
      assert.equal(spliced, old);
    }
    assert.equal(bothPaths('{"type":"signal","to":"bob","data":[-0.5,-10]}').dataJson, '[-0.5,-10]');
  });

  it("a binary frame (decoded by the codec's checked UTF-8) is spliced like a text frame", () => {
    const r = decodeClient(new TextEncoder().encode('{"type":"signal","to":"bob","data":{"a":"é"}}'));
    assert.ok(r.ok);
    assert.equal(r.dataJson, '{"a":"é"}');
  });

  it('other message types carry no dataJson (call.invite data is bounded and re-checked)', () => {
    const r = decodeClient('{"type":"call.invite","to":"bob","data":{"video":true}}');
    assert.ok(r.ok);
    assert.equal(r.dataJson, undefined);
  });
});

describe('relay splice › validation is unchanged', () => {
  it('a client-sent from next to data is still refused (strict schema), splice or not', () => {
    const r = decodeClient('{"type":"signal","to":"bob","from":"mallory","data":{}}');
    assert.ok(!r.ok);
    assert.equal(r.code, 'BAD_MESSAGE');
  });

  it('data one level too deep is still BAD_MESSAGE; the deepest allowed is spliced', () => {
    const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    const over = decodeClient(`{"type":"signal","to":"bob","data":${deep(LIMITS.frameMaxDepth)}}`);
    assert.ok(!over.ok);
    assert.equal(over.code, 'BAD_MESSAGE');
    const { spliced, old, dataJson } = bothPaths(
      `{"type":"signal","to":"bob","data":${deep(LIMITS.frameMaxDepth - 1)}}`,
    );
    assert.equal(dataJson, deep(LIMITS.frameMaxDepth - 1));
    assert.equal(spliced, old);
  });

  it('a frame over the byte limit is still TOO_LARGE before any scan', () => {
    const big = `{"type":"signal","to":"bob","data":"${'x'.repeat(LIMITS.maxFrameBytes)}"}`;
    const r = decodeClient(big);
    assert.ok(!r.ok);
    assert.equal(r.code, 'TOO_LARGE');
  });

  it('a frame just under the byte limit is spliced whole', () => {
    const head = '{"type":"signal","to":"bob","data":"';
    const big = `${head}${'x'.repeat(LIMITS.maxFrameBytes - head.length - 2)}"}`;
    assert.equal(Buffer.byteLength(big), LIMITS.maxFrameBytes);
    const { spliced, old } = bothPaths(big);
    assert.equal(spliced, old);
  });
});

describe('json-span › topLevelValueSpan', () => {
  const at = (text: string, key: string) => {
    const s = topLevelValueSpan(text, key);
    return s && text.slice(s[0], s[1]);
  };
  it('finds scalars, strings and containers, and the last of duplicates', () => {
    assert.equal(at('{"a":1,"b":true,"c":null,"d":false}', 'a'), '1');
    assert.equal(at('{"a":1,"b":true,"c":null,"d":false}', 'b'), 'true');
    assert.equal(at('{"a":1,"b":true,"c":null,"d":false}', 'c'), 'null');
    assert.equal(at('{"a":1,"b":true,"c":null,"d":false}', 'd'), 'false');
    assert.equal(at('{"a":"x\\"}{","b":2}', 'a'), '"x\\"}{"');
    assert.equal(at('{"a":[{"b":"]"}],"a":{"c":["}"]}}', 'a'), '{"c":["}"]}');
    assert.equal(at('{"a":1}', 'b'), undefined);
    assert.equal(at('{}', 'a'), undefined);
  });
  it('answers undefined for text that is not a JSON object, never throws or loops', () => {
    for (const t of [
      '',
      '[]',
      '"x"',
      '{',
      '{"a"',
      '{"a":',
      '{"a":"unterminated',
      '{"a":[1,2',
      '{"a":[1,2}',
    ]) {
      assert.equal(topLevelValueSpan(t, 'a'), undefined, t);
    }
  });
});
