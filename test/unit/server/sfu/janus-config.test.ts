/**
 * The generated Janus configuration (pure: a fake library folder stands in for the installed
 * one), the SFU's configuration variables, and the derived Janus room ids.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '@parley/server';
import { janusArgs, janusConfigFiles } from '../../../../packages/server/src/sfu/janus-config.ts';
import { roomIdFor } from '../../../../packages/server/src/sfu/janus-rooms.ts';

describe('janusConfigFiles', () => {
  let lib: string;
  before(() => {
    lib = mkdtempSync(join(tmpdir(), 'parley-janus-lib-'));
    const files: Record<string, string[]> = {
      plugins: ['libjanus_videoroom', 'libjanus_echotest', 'libjanus_streaming'],
      transports: ['libjanus_websockets', 'libjanus_http', 'libjanus_pfunix'],
      loggers: ['libjanus_jsonlog'],
      events: ['libjanus_sampleevh'],
    };
    for (const [dir, names] of Object.entries(files)) {
      mkdirSync(join(lib, dir));
      for (const n of names) for (const ext of ['.so', '.so.1']) writeFileSync(join(lib, dir, n + ext), '');
    }
  });
  after(() => rmSync(lib, { recursive: true, force: true }));

  const files = (extra: Partial<Parameters<typeof janusConfigFiles>[0]> = {}) =>
    janusConfigFiles({
      dir: '/srv/janus',
      wsPort: 8188,
      rtpPorts: { min: 20000, max: 20099 },
      iceEnforce: ['192.0.2.7'],
      apiSecret: 'the-api-secret',
      adminKey: 'the-admin-key',
      libDir: lib,
      ...extra,
    });

  it('JanusConfig › loads only VideoRoom and WebSockets; everything else is disabled', () => {
    const core = files()['janus.jcfg']!;
    assert.match(
      core,
      /plugins: \{\n\tdisable = "libjanus_echotest\.so,libjanus_echotest\.so\.1,libjanus_streaming\.so,libjanus_streaming\.so\.1"\n\}/,
    );
    assert.match(
      core,
      /transports: \{\n\tdisable = "libjanus_http\.so,libjanus_http\.so\.1,libjanus_pfunix\.so,libjanus_pfunix\.so\.1"\n\}/,
    );
    assert.match(core, /loggers: \{\n\tdisable = "libjanus_jsonlog\.so,libjanus_jsonlog\.so\.1"\n\}/);
    assert.match(core, /broadcast = false/);
    assert.doesNotMatch(core, /videoroom\.so|websockets\.so/);
  });

  it('JanusConfig › API on 127.0.0.1 with a secret, admin off, ICE pinned, RTP range, rooms need the admin key', () => {
    const f = files();
    assert.match(f['janus.jcfg']!, /api_secret = "the-api-secret"/);
    assert.match(f['janus.jcfg']!, /configs_folder = "\/srv\/janus"/);
    assert.match(f['janus.jcfg']!, /ice_enforce_list = "192\.0\.2\.7"/);
    assert.match(f['janus.jcfg']!, /rtp_port_range = "20000-20099"/);
    assert.doesNotMatch(f['janus.jcfg']!, /admin_secret/);
    const ws = f['janus.transport.websockets.jcfg']!;
    assert.match(ws, /ws_ip = "127\.0\.0\.1"/);
    assert.match(ws, /ws_port = 8188/);
    assert.match(ws, /admin_ws = false/);
    assert.match(ws, /wss = false/);
    assert.match(f['janus.plugin.videoroom.jcfg']!, /admin_key = "the-admin-key"/);
    assert.doesNotMatch(f['janus.plugin.videoroom.jcfg']!, /room-\d+/);
    assert.deepEqual(janusArgs('/srv/janus'), ['-F', '/srv/janus', '-C', '/srv/janus/janus.jcfg']);
  });

  it('JanusConfig › no NAT, STUN or TURN settings unless asked', () => {
    const core = files()['janus.jcfg']!;
    assert.doesNotMatch(core, /nat_1_1_mapping|keep_private_host|stun_server|stun_port|turn_/);
  });

  it('JanusConfig › 1:1 NAT replaces the private host candidate unless keepPrivateHost; STUN server and port', () => {
    const nat = files({ nat1To1: ['203.0.113.9'] })['janus.jcfg']!;
    assert.match(nat, /nat: \{[^}]*\n\tnat_1_1_mapping = "203\.0\.113\.9"\n\tkeep_private_host = false\n/);
    const both = files({ nat1To1: ['203.0.113.9', '198.51.100.2'], keepPrivateHost: true })['janus.jcfg']!;
    assert.match(both, /nat_1_1_mapping = "203\.0\.113\.9,198\.51\.100\.2"\n\tkeep_private_host = true/);
    const stun = files({ stun: { host: 'stun.example.org', port: 3478 } })['janus.jcfg']!;
    assert.match(stun, /nat: \{[^}]*\n\tstun_server = "stun\.example\.org"\n\tstun_port = 3478\n/);
    assert.throws(() => files({ nat1To1: ['not-an-ip'] }), /bad 1:1 NAT address/);
    assert.throws(() => files({ keepPrivateHost: true }), /needs a 1:1 NAT address/);
    assert.throws(
      () => files({ nat1To1: ['203.0.113.9'], stun: { host: 'stun.example.org', port: 3478 } }),
      /choose one/,
    );
    assert.throws(() => files({ stun: { host: 'stun.example.org', port: 0 } }), /bad STUN server/);
    assert.throws(() => files({ stun: { host: 'a"b', port: 3478 } }), /bad STUN server/);
  });

  it('JanusConfig › TURN REST API: POST to the given URL with the key, a timeout, and no static TURN user', () => {
    const core = files({
      turnRestApi: { url: 'http://127.0.0.1:8080/janus/turn', key: 'the-turn-key' },
    })['janus.jcfg']!;
    const nat = /nat: \{\n([^}]*)\n\}/.exec(core)![1]!;
    assert.match(nat, /\tturn_rest_api = "http:\/\/127\.0\.0\.1:8080\/janus\/turn"/);
    assert.match(nat, /\tturn_rest_api_key = "the-turn-key"/);
    assert.match(nat, /\tturn_rest_api_method = "POST"/);
    assert.match(nat, /\tturn_rest_api_timeout = 5/);
    assert.doesNotMatch(nat, /turn_server|turn_user|turn_pwd/);
    assert.match(
      files({ turnRestApi: { url: 'https://parley.example/janus/turn', key: 'k"', timeoutS: 2 } })[
        'janus.jcfg'
      ]!,
      /turn_rest_api_key = "k\\""\n\tturn_rest_api_method = "POST"\n\tturn_rest_api_timeout = 2/,
    );
    // Janus appends its own query string: a URL with one, or not HTTP, would not work.
    for (const url of ['ftp://x/janus/turn', 'http://x/janus/turn?a=1', 'http://x/ janus'])
      assert.throws(() => files({ turnRestApi: { url, key: 'k' } }), /bad TURN REST API URL/);
    assert.throws(() => files({ turnRestApi: { url: 'http://x/t', key: '' } }), /needs a key/);
    assert.throws(() => files({ turnRestApi: { url: 'http://x/t', key: 'k', timeoutS: 0 } }), /timeout/);
  });

  it('JanusConfig › quotes values and refuses a bad RTP range', () => {
    assert.match(files({ apiSecret: 'a"b' })['janus.jcfg']!, /api_secret = "a\\"b"/);
    assert.throws(() => files({ rtpPorts: { min: 30000, max: 20000 } }), /bad RTP port range/);
    assert.throws(() => files({ rtpPorts: { min: 80, max: 90 } }), /bad RTP port range/);
  });
});

describe('SFU configuration', () => {
  it('Config › PARLEY_JANUS_URL is a comma list of ws(s) URLs; threshold defaults to 4; secrets not echoed', () => {
    const c = loadConfig({
      PARLEY_JANUS_URL: 'ws://127.0.0.1:8188, wss://janus-b.internal:8989',
      PARLEY_JANUS_API_SECRET: 's',
      PARLEY_JANUS_ADMIN_KEY: 'k',
    });
    assert.deepEqual(c.janusUrls, ['ws://127.0.0.1:8188', 'wss://janus-b.internal:8989']);
    assert.equal(c.sfuThreshold, 4);
    assert.deepEqual(loadConfig({}).janusUrls, []);
    assert.throws(
      () =>
        loadConfig({ PARLEY_JANUS_URL: 'http://x', PARLEY_SFU_THRESHOLD: '0', PARLEY_JANUS_API_SECRET: ' ' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.problems.length, 2);
        assert.match(err.problems.join('\n'), /PARLEY_JANUS_URL.*ws:\/\//);
        assert.match(err.problems.join('\n'), /PARLEY_SFU_THRESHOLD/);
        return true;
      },
    );
  });

  it('SfuRooms › Janus room ids are derived from the room name: stable, distinct, below 2^48', () => {
    assert.equal(roomIdFor('standup'), roomIdFor('standup'));
    assert.notEqual(roomIdFor('standup'), roomIdFor('standup2'));
    for (const r of ['a', 'b', 'big-room']) {
      const id = roomIdFor(r);
      assert.ok(Number.isSafeInteger(id) && id > 0 && id <= 2 ** 48);
    }
  });
});
