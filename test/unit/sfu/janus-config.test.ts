/**
 * The generated Janus configuration (pure: a fake library folder stands in for the installed
 * one), the SFU's configuration variables, and the derived Janus room ids.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../../packages/server/src/config.ts';
import { janusArgs, janusConfigFiles } from '../../../packages/server/src/sfu/janus-config.ts';
import { roomIdFor } from '../../../packages/server/src/sfu/sfu-rooms.ts';

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
