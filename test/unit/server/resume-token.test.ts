import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newResumeToken, RESUME_TOKEN_BYTES } from '../../../packages/server/src/session/resume-token.ts';

describe('newResumeToken', () => {
  it('is 32 random bytes in base64url: 43 URL-safe characters that decode back to 32 bytes', () => {
    const token = newResumeToken();
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(token, 'base64url').length, RESUME_TOKEN_BYTES);
  });

  it('never repeats over a thousand draws', () => {
    const seen = new Set(Array.from({ length: 1000 }, () => newResumeToken()));
    assert.equal(seen.size, 1000);
  });
});
