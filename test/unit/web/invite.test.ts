/**
 * Invitation links (packages/web/src/app/invite.ts): the token is taken from the fragment, kept
 * for the tab and removed from the address; one in the query string is removed and refused.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  captureInviteToken,
  forgetInviteToken,
  inviteToken,
  refusedQueryTokenNotice,
  tokenName,
} from '../../../packages/web/src/app/invite.ts';
import { type FakeBrowser, installFakeBrowser } from './fake-browser.ts';

/** An unsigned JWT-shaped token whose payload is `claims` (base64url, no padding). */
function jwt(claims: unknown): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'HS256' })}.${part(claims)}.signature`;
}

describe('web invite', () => {
  let tab: FakeBrowser | undefined;
  afterEach(() => {
    tab?.restore();
    tab = undefined;
  });

  it('keeps a fragment token for the tab and removes only it from the address', () => {
    tab = installFakeBrowser('https://parley.example/#/room/standup?large&token=abc.def.ghi');
    assert.equal(captureInviteToken(), 'abc.def.ghi');
    assert.equal(tab.url.href, 'https://parley.example/#/room/standup?large');
    assert.equal(inviteToken(), 'abc.def.ghi');
    assert.equal(refusedQueryTokenNotice(), null);
    forgetInviteToken();
    assert.equal(inviteToken(), null);
  });

  it('returns the kept token when the address has none', () => {
    tab = installFakeBrowser('https://parley.example/#/room/standup?token=t1');
    captureInviteToken();
    tab.url = new URL('https://parley.example/#/');
    assert.equal(captureInviteToken(), 't1');
    assert.equal(tab.url.href, 'https://parley.example/#/');
  });

  it('refuses a token in the query string and says why', () => {
    tab = installFakeBrowser('https://parley.example/?token=leaked&x=1#/room/standup');
    assert.equal(captureInviteToken(), null);
    assert.equal(tab.url.href, 'https://parley.example/?x=1#/room/standup');
    assert.match(refusedQueryTokenNotice() ?? '', /did not use it/);
  });

  it('works without storage: the token lasts for this page load only', () => {
    tab = installFakeBrowser('https://parley.example/#/?token=t2');
    tab.sessionStorage.broken = true;
    assert.equal(captureInviteToken(), 't2');
    assert.equal(inviteToken(), null);
    assert.doesNotThrow(() => forgetInviteToken());
  });

  it('reads the name claim without verifying the token', () => {
    assert.equal(tokenName(jwt({ name: 'ada', rooms: ['x'] })), 'ada');
    const urlSafe = jwt({ name: 'ada???>>>' });
    assert.match(urlSafe.split('.')[1]!, /[-_]/); // the base64url alphabet, unpadded
    assert.equal(tokenName(urlSafe), 'ada???>>>');
    assert.equal(tokenName(jwt({ sub: 'ada' })), null);
    assert.equal(tokenName(jwt({ name: 42 })), null);
    assert.equal(tokenName(jwt('just a string')), null);
    assert.equal(tokenName('no-dots'), null);
    assert.equal(tokenName('a.!!!.c'), null);
  });
});
