import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createOriginPolicy,
  isOriginAllowed,
  isSameHost,
  isSameHostName,
} from '../../../../packages/server/src/auth/origin.ts';

describe('isOriginAllowed', () => {
  const list = ['https://app.example.com', 'http://localhost:5173', 'https://*.parley.example.org'];

  it('allows exact origins, with the default port written or not', () => {
    assert.equal(isOriginAllowed('https://app.example.com', list), true);
    assert.equal(isOriginAllowed('https://app.example.com:443', list), true);
    assert.equal(isOriginAllowed('http://localhost:5173', list), true);
  });

  it('refuses another scheme, port or host', () => {
    assert.equal(isOriginAllowed('http://app.example.com', list), false);
    assert.equal(isOriginAllowed('https://app.example.com:8443', list), false);
    assert.equal(isOriginAllowed('http://localhost:5174', list), false);
    assert.equal(isOriginAllowed('https://example.com', list), false);
    assert.equal(isOriginAllowed('https://app.example.com.evil.net', list), false);
  });

  it('matches *.domain against subdomains at any depth, never the domain itself or look-alikes', () => {
    assert.equal(isOriginAllowed('https://a.parley.example.org', list), true);
    assert.equal(isOriginAllowed('https://x.y.parley.example.org', list), true);
    assert.equal(isOriginAllowed('https://parley.example.org', list), false);
    assert.equal(isOriginAllowed('https://evilparley.example.org', list), false);
    assert.equal(isOriginAllowed('http://a.parley.example.org', list), false);
  });

  it('is case-insensitive on the host (browsers send it lower-cased; the URL parser folds it)', () => {
    assert.equal(isOriginAllowed('https://APP.Example.com', list), true);
    assert.equal(isOriginAllowed('https://app.example.com', ['https://App.EXAMPLE.com']), true);
  });

  it('refuses "null", non-http schemes and values that are not bare origins', () => {
    for (const o of [
      'null',
      'file://',
      'chrome-extension://abc',
      'https://app.example.com/path',
      'not a url',
    ]) {
      assert.equal(isOriginAllowed(o, [...list, 'null']), false, o);
    }
  });

  it('lets a missing Origin through by default (non-browser clients), unless told not to', () => {
    assert.equal(isOriginAllowed(undefined, list), true);
    assert.equal(createOriginPolicy(list, { allowMissing: false }).allows(undefined), false);
    assert.equal(createOriginPolicy(list, { allowMissing: false }).allows(''), false);
  });

  it('"*" allows every origin', () => {
    assert.equal(isOriginAllowed('https://anything.test', ['*']), true);
    assert.equal(isOriginAllowed('null', ['*']), true);
  });

  it('reads a bare *.domain as https', () => {
    assert.equal(isOriginAllowed('https://a.example.com', ['*.example.com']), true);
    assert.equal(isOriginAllowed('http://a.example.com', ['*.example.com']), false);
  });

  it('handles IPv6 and internationalised hosts', () => {
    assert.equal(isOriginAllowed('http://[::1]:8080', ['http://[::1]:8080']), true);
    assert.equal(isOriginAllowed('https://xn--bcher-kva.example', ['https://bücher.example']), true);
  });
});

describe('createOriginPolicy', () => {
  it('names every invalid entry at once', () => {
    assert.throws(
      () =>
        createOriginPolicy([
          'https://ok.example',
          'ftp://x.example',
          '*.com',
          'https://a.example/path',
          'https://a*b.example',
        ]),
      (err: unknown) =>
        err instanceof TypeError &&
        ['ftp://x.example', '*.com', 'https://a.example/path', 'https://a*b.example'].every((b) =>
          err.message.includes(JSON.stringify(b)),
        ),
    );
  });

  it('keeps the entries for logs', () => {
    assert.deepEqual(createOriginPolicy(['*']).entries, ['*']);
  });
});

describe('isSameHost', () => {
  it('compares the origin with the Host header, port included', () => {
    assert.equal(isSameHost('http://192.168.1.20:8080', '192.168.1.20:8080'), true);
    assert.equal(isSameHost('https://parley.example.com', 'parley.example.com'), true);
    assert.equal(isSameHost('https://parley.example.com', 'parley.example.com:443'), true);
    assert.equal(isSameHost('https://evil.example', 'parley.example.com'), false);
    assert.equal(isSameHost('http://localhost:8080', 'localhost:8081'), false);
    assert.equal(isSameHost(undefined, 'localhost:8080'), false);
    assert.equal(isSameHost('http://localhost:8080', undefined), false);
    assert.equal(isSameHost('null', 'localhost'), false);
  });
});

describe('isSameHostName (the default when no allow list is set)', () => {
  it('allows the host the request was sent to, on any port and scheme', () => {
    assert.equal(isSameHostName('https://parley.example.org', 'parley.example.org'), true);
    assert.equal(isSameHostName('http://192.168.1.10:5173', '192.168.1.10:8080'), true);
    assert.equal(isSameHostName('http://PARLEY.lan:8080', 'parley.lan:8080'), true);
    assert.equal(isSameHostName('http://[2001:db8::1]:3000', '[2001:db8::1]:8080'), true);
  });

  it('treats every loopback name as one host (dev server, local test pages)', () => {
    assert.equal(isSameHostName('http://localhost:5173', '127.0.0.1:8080'), true);
    assert.equal(isSameHostName('http://127.0.0.1:41234', '127.0.0.1:8080'), true);
    assert.equal(isSameHostName('http://[::1]:41234', 'localhost:8080'), true);
    assert.equal(isSameHostName('http://app.localhost', '127.0.0.2'), true);
  });

  it('refuses other hosts, look-alikes, "null", garbage and a missing Host', () => {
    assert.equal(isSameHostName('https://evil.example', 'parley.example.org'), false);
    assert.equal(isSameHostName('https://evil.example', '127.0.0.1:8080'), false);
    assert.equal(isSameHostName('https://parley.example.org.evil.example', 'parley.example.org'), false);
    assert.equal(isSameHostName('https://example.org', 'parley.example.org'), false);
    assert.equal(isSameHostName('http://192.168.1.11', '192.168.1.10'), false);
    assert.equal(isSameHostName('null', 'parley.example.org'), false);
    assert.equal(isSameHostName('http://localhost.evil.example', 'localhost'), false);
    assert.equal(isSameHostName('https://parley.example.org', undefined), false);
    assert.equal(isSameHostName('https://parley.example.org', 'parley.example.org/path'), false);
    assert.equal(isSameHostName('https://parley.example.org', 'user@parley.example.org'), false);
  });
});
