import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '@parley/server';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('redacts tokens, secrets, credentials and passwords, top-level and nested', () => {
    const { lines, stream } = capture();
    const log = createLogger('info', stream);
    log.info(
      { token: 't', resume: 'r', secret: 's', msg: { password: 'p', token: 't2' }, ice: { credential: 'c' } },
      'x',
    );
    const text = JSON.stringify(lines);
    for (const v of ['"t"', '"r"', '"s"', '"p"', '"t2"', '"c"']) assert.ok(!text.includes(`:${v}`), v);
    assert.match(text, /\[redacted\]/);
  });

  it('child loggers carry their fields; trace is off at info', () => {
    const { lines, stream } = capture();
    const log = createLogger('info', stream).child({ sid: 'abc', name: 'alice' });
    assert.equal(log.isLevelEnabled('trace'), false);
    log.info('session started');
    assert.equal(lines[0]?.sid, 'abc');
    assert.equal(lines[0]?.name, 'alice');
    assert.equal(lines[0]?.msg, 'session started');
  });
});
