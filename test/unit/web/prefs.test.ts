/** What the web app remembers (packages/web/src/app/prefs.ts), and that blocked storage never fails it. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  readPref,
  recentRooms,
  rememberRoom,
  setTabSession,
  tabSession,
  writePref,
} from '../../../packages/web/src/app/prefs.ts';
import { type FakeBrowser, installFakeBrowser } from './fake-browser.ts';

describe('web prefs', () => {
  let tab: FakeBrowser;
  beforeEach(() => {
    tab = installFakeBrowser('https://parley.example/#/');
  });
  afterEach(() => tab.restore());

  it('remembers and forgets values under the parley. prefix', () => {
    assert.equal(readPref('name'), null);
    writePref('name', 'ada');
    assert.equal(readPref('name'), 'ada');
    assert.equal(tab.localStorage.getItem('parley.name'), 'ada');
    writePref('name', null);
    assert.equal(readPref('name'), null);
  });

  it('keeps the five most recent rooms, most recent first, without repeats', () => {
    for (const room of ['a', 'b', 'c', 'd', 'e', 'f', 'c']) rememberRoom(room);
    assert.deepEqual(recentRooms(), ['c', 'f', 'e', 'd', 'b']);
  });

  it('reads a damaged recent list as empty, and skips entries that are not names', () => {
    writePref('recentRooms', '{not json');
    assert.deepEqual(recentRooms(), []);
    writePref('recentRooms', '{"a":1}');
    assert.deepEqual(recentRooms(), []);
    writePref('recentRooms', '["x", 3, null, "y"]');
    assert.deepEqual(recentRooms(), ['x', 'y']);
  });

  it('keeps the tab session in sessionStorage', () => {
    assert.equal(tabSession(), null);
    setTabSession('ada');
    assert.equal(tabSession(), 'ada');
    assert.equal(tab.sessionStorage.getItem('parley.signedIn'), 'ada');
    assert.equal(readPref('name'), null);
    setTabSession(null);
    assert.equal(tabSession(), null);
  });

  it('forgets quietly when storage is blocked', () => {
    tab.localStorage.broken = true;
    tab.sessionStorage.broken = true;
    assert.doesNotThrow(() => writePref('camera', 'cam-1'));
    assert.equal(readPref('camera'), null);
    assert.doesNotThrow(() => rememberRoom('x'));
    assert.deepEqual(recentRooms(), []);
    assert.doesNotThrow(() => setTabSession('ada'));
    assert.equal(tabSession(), null);
  });
});
