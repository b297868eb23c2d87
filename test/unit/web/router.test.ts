/** The web app's routes (packages/web/src/app/router.ts): hash and path forms, large rooms, links. */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  hrefFor,
  isRoomName,
  navigate,
  normalizeLocation,
  parseRoute,
  roomLink,
} from '../../../packages/web/src/app/router.ts';
import { type FakeBrowser, installFakeBrowser } from './fake-browser.ts';

const at = (pathname: string, hash = '') => ({ pathname, hash });

describe('web router', () => {
  let tab: FakeBrowser | undefined;
  afterEach(() => {
    tab?.restore();
    tab = undefined;
  });

  it('parses hash routes', () => {
    assert.deepEqual(parseRoute(at('/', '')), { page: 'home' });
    assert.deepEqual(parseRoute(at('/', '#/')), { page: 'home' });
    assert.deepEqual(parseRoute(at('/', '#/room/standup')), { page: 'room', room: 'standup' });
    assert.deepEqual(parseRoute(at('/', '#/r/standup')), { page: 'room', room: 'standup' });
    assert.deepEqual(parseRoute(at('/', '#room/standup')), { page: 'room', room: 'standup' });
    assert.deepEqual(parseRoute(at('/', '#/test')), { page: 'test' });
    assert.deepEqual(parseRoute(at('/', '#/nowhere')), { page: 'home' });
  });

  it('parses path routes, which win over the hash', () => {
    assert.deepEqual(parseRoute(at('/r/standup', '#/test')), { page: 'room', room: 'standup' });
    assert.deepEqual(parseRoute(at('/r/standup/')), { page: 'room', room: 'standup' });
    assert.deepEqual(parseRoute(at('/test')), { page: 'test' });
  });

  it('reads ?large from the hash, unless it is 0', () => {
    assert.deepEqual(parseRoute(at('/', '#/room/big?large')), { page: 'room', room: 'big', large: true });
    assert.deepEqual(parseRoute(at('/r/big', '#?large')), { page: 'room', room: 'big', large: true });
    assert.deepEqual(parseRoute(at('/', '#/room/big?large=0')), { page: 'room', room: 'big' });
    assert.deepEqual(parseRoute(at('/', '#/room/big?token=x')), { page: 'room', room: 'big' });
  });

  it('sends invalid room names home', () => {
    assert.deepEqual(parseRoute(at('/', '#/room/%E0%A4%A')), { page: 'home' }); // bad escape
    assert.deepEqual(parseRoute(at('/', '#/room/has%20space')), { page: 'home' });
    assert.deepEqual(parseRoute(at('/', `#/room/${'x'.repeat(65)}`)), { page: 'home' });
    assert.equal(isRoomName(''), false);
    assert.equal(isRoomName('team-42_b.c'), true);
  });

  it('builds hashes and room links that parse back', () => {
    assert.equal(hrefFor({ page: 'home' }), '#/');
    assert.equal(hrefFor({ page: 'test' }), '#/test');
    assert.equal(hrefFor({ page: 'room', room: 'a.b', large: true }), '#/room/a.b?large');
    tab = installFakeBrowser('https://parley.example/#/');
    const link = new URL(roomLink('standup', true));
    assert.equal(link.href, 'https://parley.example/#/room/standup?large');
    assert.deepEqual(parseRoute(link), { page: 'room', room: 'standup', large: true });
    assert.equal(roomLink('standup'), 'https://parley.example/#/room/standup');
  });

  it('navigates by setting the hash, or by a hashchange when the hash is already there', () => {
    tab = installFakeBrowser('https://parley.example/#/');
    navigate({ page: 'room', room: 'standup' });
    assert.equal(tab.url.hash, '#/room/standup');
    assert.deepEqual(tab.events, ['hashchange']);
    navigate({ page: 'room', room: 'standup' });
    assert.deepEqual(tab.events, ['hashchange', 'hashchange']);
  });

  it('navigates from a path route with a history entry', () => {
    tab = installFakeBrowser('https://parley.example/r/standup');
    navigate({ page: 'home' });
    assert.equal(tab.url.pathname, '/');
    assert.equal(tab.url.hash, '#/');
    assert.equal(tab.pushed, 1);
    assert.deepEqual(tab.events, ['hashchange']);
  });

  it('rewrites a path route to its hash form, and leaves / alone', () => {
    tab = installFakeBrowser('https://parley.example/r/standup#?large');
    normalizeLocation();
    assert.equal(tab.url.href, 'https://parley.example/#/room/standup?large');
    tab.restore();
    tab = installFakeBrowser('https://parley.example/#/test');
    normalizeLocation();
    assert.equal(tab.url.href, 'https://parley.example/#/test');
  });
  it('reads an encrypted room link: the e2ee secret stays in the fragment and round-trips', () => {
    const secret = 'AbCdEfGhIjKlMnOp_-123456';
    const route = parseRoute({ pathname: '/', hash: `#/room/standup?large&e2ee=${secret}` });
    assert.deepEqual(route, { page: 'room', room: 'standup', large: true, e2ee: secret });
    assert.equal(hrefFor(route), `#/room/standup?large&e2ee=${secret}`);
    assert.equal(hrefFor({ page: 'room', room: 'x', e2ee: secret }), `#/room/x?e2ee=${secret}`);
  });

  it('marks a malformed e2ee secret (empty, too short, too long, not base64url) as broken, never as a room in clear', () => {
    for (const bad of ['', 'short', 'a'.repeat(129), 'has spaces in it!!!!', '%3Cscript%3E0123456789']) {
      assert.deepEqual(parseRoute({ pathname: '/', hash: `#/room/standup?e2ee=${bad}` }), {
        page: 'room',
        room: 'standup',
        brokenE2ee: true,
      });
    }
  });
});
