import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../../../packages/server/src/log.ts';
import { prettyDestination, prettyLine, wantsPretty } from '../../../packages/server/src/log-format.ts';

describe('log format', () => {
  it('wantsPretty › auto is pretty only on a terminal; json never; pretty always', () => {
    assert.equal(wantsPretty('auto', { isTTY: true }), true);
    assert.equal(wantsPretty('auto', {}), false);
    assert.equal(wantsPretty('json', { isTTY: true }), false);
    assert.equal(wantsPretty('pretty', {}), true);
  });

  it('prettyLine › time, level, message, then fields; quotes values with spaces; leaves non-JSON alone', () => {
    const line = prettyLine(
      JSON.stringify({
        level: 40,
        time: '2026-12-07T20:23:05.123Z',
        service: 'parley',
        msg: 'STUN disabled',
        port: 3478,
        reason: 'in use',
        err: { type: 'Error', message: 'bind EADDRINUSE', stack: 'Error: …' },
      }),
    );
    assert.equal(
      line,
      '20:23:05 WARN  STUN disabled  port=3478 reason="in use" err="Error: bind EADDRINUSE"',
    );
    assert.equal(prettyLine('not json'), 'not json');
  });

  it('prettyDestination › the logger’s redaction still applies: a resume token never reaches the screen', () => {
    let out = '';
    const sink = new Writable({
      write(chunk, _enc, done) {
        out += String(chunk);
        done();
      },
    });
    const log = createLogger('info', prettyDestination(sink));
    log.info({ resume: 'SECRET-TOKEN', name: 'alice' }, 'session started');
    assert.match(out, /INFO {2}session started {2}resume="?\[redacted\]"? name=alice\n$/);
    assert.doesNotMatch(out, /SECRET-TOKEN/);
  });
});
