/** What the web app says when signing in fails or the server is lost (packages/web/src/app/sign-in-words.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError } from '@parley/client';
import {
  describeLoginFailure,
  describeSignalingFailure,
} from '../../../packages/web/src/app/sign-in-words.ts';

describe('web sign-in words', () => {
  it('words each login refusal by code', () => {
    assert.match(
      describeLoginFailure(new ParleyError('NAME_TAKEN'), 'ada', false),
      /“ada” is already used.*“ada-2”/,
    );
    assert.match(
      describeLoginFailure(new ParleyError('UNAUTHORIZED'), 'ada', false),
      /only lets invited people in/,
    );
    assert.match(
      describeLoginFailure(new ParleyError('UNAUTHORIZED'), 'ada', true),
      /invitation is not valid any more/,
    );
    assert.match(
      describeLoginFailure(new ParleyError('TOO_MANY_CONNECTIONS'), 'ada', false),
      /Too many connections/,
    );
    assert.equal(
      describeLoginFailure(new ParleyError('BAD_MESSAGE', 'name too long'), 'ada', false),
      'The server refused: name too long',
    );
  });

  it('says the server is unreachable for anything that is not a refusal', () => {
    assert.match(
      describeLoginFailure(new Error('NAME_TAKEN'), 'ada', false),
      /Cannot reach the Parley server/,
    );
    assert.match(describeLoginFailure(undefined, 'ada', false), /Cannot reach/);
  });

  it('words why the client gave up on the server', () => {
    assert.match(describeSignalingFailure('SESSION_REPLACED'), /another tab/);
    assert.match(describeSignalingFailure('UNAUTHORIZED'), /refused your access/);
    assert.match(describeSignalingFailure('TOO_MANY_CONNECTIONS'), /Too many connections/);
    assert.match(describeSignalingFailure(undefined), /lost and could not be restored/);
    assert.match(describeSignalingFailure('GOING_AWAY'), /lost and could not be restored/);
  });
});
