// @needs coturn
/**
 * `parley check` against a real server and a real coturn: passes when the server's TURN secret
 * matches coturn's, and fails clearly (exit 6, a message naming the credentials) when it does not.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { type CoturnHandle, startCoturn } from '../../helpers/coturn.ts';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { killAll, startParley } from './cli-process.ts';

let turn: CoturnHandle;
before(async () => {
  turn = await startCoturn({ secret: 'right-secret' });
});
afterEach(async () => {
  await killAll();
  await stopAllServers();
});
after(async () => {
  await turn.close();
});

const serverEnv = (secret: string) => ({
  PARLEY_STUN_URLS: `stun:127.0.0.1:${turn.port}`,
  PARLEY_TURN_URLS: `${turn.urls.udp},${turn.urls.tcp}`,
  PARLEY_TURN_SECRET: secret,
});

describe('parley check', () => {
  test('signaling, STUN and a relay-only loopback through coturn all pass (exit 0)', async () => {
    const server = await startServer(serverEnv('right-secret'));
    const check = startParley(['check', '--server', server.url, '--json', '--timeout', '8']);
    assert.equal(await check.exited, 0, check.stderr() + JSON.stringify(check.events));
    const steps = check.events.filter((e) => e.type === 'check');
    assert.equal(steps.find((e) => e.check === 'signaling')?.ok, true);
    assert.equal(steps.find((e) => e.check === 'stun')?.ok, true);
    const relayed = steps.find((e) => e.check === 'turn' && e.ok === true && !e.skipped);
    assert.match(String(relayed?.detail), /transport=udp: relayed data/);
    // TURN over TCP is reported as not tested (libdatachannel relays over UDP only), not failed.
    assert.ok(
      steps.some((e) => e.check === 'turn' && e.skipped === true && /transport=tcp/.test(String(e.detail))),
    );
    assert.ok(!check.events.some((e) => e.type === 'error'));
  });

  test('a server whose TURN secret does not match coturn fails the TURN step with exit 6', async () => {
    const server = await startServer(serverEnv('wrong-secret'));
    const check = startParley(['check', '--server', server.url, '--json', '--timeout', '4']);
    assert.equal(await check.exited, 6, check.stderr());
    const turnStep = check.events.find((e) => e.type === 'check' && e.check === 'turn' && e.ok === false);
    assert.match(String(turnStep?.detail), /granted no relay — wrong credentials/);
    assert.equal(check.events.find((e) => e.type === 'check' && e.check === 'signaling')?.ok, true);
    const error = check.events.at(-1);
    assert.equal(error?.type, 'error');
    assert.equal(error?.code, 'TURN_FAILED');
    assert.equal(error?.exitCode, 6);
  });
});
