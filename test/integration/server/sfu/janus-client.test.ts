// @needs janus
/**
 * The Janus WebSocket client against a real Janus (Debian `janus`, our generated config):
 * sessions, VideoRoom handles, synchronous and asynchronous plugin requests, typed errors,
 * events routed to the right handle, and a clean close.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  JanusClient,
  JanusError,
  type JanusHandle,
} from '../../../../packages/server/src/sfu/janus-client.ts';
import { startJanus, type TestJanus } from '../../../helpers/janus.ts';
import { until } from '../../../helpers/wait.ts';

describe('JanusClient', () => {
  let janus: TestJanus;
  const clients: JanusClient[] = [];
  const connect = async (apiSecret = janus.apiSecret) => {
    const c = await JanusClient.connect(janus.wsUrl, { apiSecret, requestTimeoutMs: 5000 });
    clients.push(c);
    return c;
  };
  const videoroom = async (): Promise<JanusHandle> => (await (await connect()).createSession()).attach();
  let nextRoom = 1000 + Math.floor(Math.random() * 1000);

  before(async () => {
    janus = await startJanus();
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  after(async () => {
    await janus?.close();
  });

  it('JanusClient › info names the VideoRoom plugin and no other', async () => {
    const info = await (await connect()).info();
    assert.deepEqual(Object.keys(info.plugins as object), ['janus.plugin.videoroom']);
    assert.deepEqual(Object.keys(info.transports as object), ['janus.transport.websockets']);
  });

  it('JanusClient › a wrong API secret is refused with a typed janus error', async () => {
    const c = await connect('not-the-secret');
    await assert.rejects(c.createSession(), (err: unknown) => {
      assert.ok(err instanceof JanusError);
      assert.equal(err.kind, 'janus');
      assert.equal(err.code, 403);
      return true;
    });
  });

  it('JanusClient › creates a room with the admin key, lists participants, destroys it', async () => {
    const admin = await videoroom();
    const room = nextRoom++;
    const created = await admin.message({
      request: 'create',
      room,
      secret: 'room-secret',
      admin_key: janus.adminKey,
      publishers: 16,
      permanent: false,
    });
    assert.equal(created.data.videoroom, 'created');
    assert.equal((await admin.message({ request: 'exists', room })).data.exists, true);

    // A publisher joins on its own session; the join is asynchronous (ack, then event).
    const pub = await videoroom();
    const joined = await pub.message({ request: 'join', ptype: 'publisher', room, display: 'alice' });
    assert.equal(joined.data.videoroom, 'joined');
    assert.equal(typeof joined.data.id, 'number');

    const list = await admin.message({ request: 'listparticipants', room });
    const people = list.data.participants as { id: number; display?: string }[];
    assert.deepEqual(
      people.map((p) => [p.id, p.display]),
      [[joined.data.id, 'alice']],
    );

    // The publisher's handle hears the room's destruction as an event of its own.
    const events: unknown[] = [];
    pub.on((e) => events.push(e));
    const destroyed = await admin.message({ request: 'destroy', room, secret: 'room-secret' });
    assert.equal(destroyed.data.videoroom, 'destroyed');
    await until(
      () => events.some((e) => (e as { data?: { videoroom?: string } }).data?.videoroom === 'destroyed'),
      { what: 'the publisher to hear the room destroyed', timeoutMs: 10_000 },
    );
    assert.equal((await admin.message({ request: 'exists', room })).data.exists, false);
  });

  it('JanusClient › creating a room without the admin key is a plugin error', async () => {
    const h = await videoroom();
    await assert.rejects(h.message({ request: 'create', room: nextRoom++ }), (err: unknown) => {
      assert.ok(err instanceof JanusError);
      assert.equal(err.kind, 'plugin');
      assert.equal(typeof err.code, 'number');
      return true;
    });
    // Destroying with a wrong secret fails too, and the handle keeps working afterwards.
    const room = nextRoom++;
    await h.message({ request: 'create', room, secret: 's3', admin_key: janus.adminKey });
    await assert.rejects(h.message({ request: 'destroy', room, secret: 'wrong' }), JanusError);
    assert.equal((await h.message({ request: 'destroy', room, secret: 's3' })).data.videoroom, 'destroyed');
  });

  it('JanusClient › a request on an unknown session is a typed error (458)', async () => {
    const c = await connect();
    await assert.rejects(c.request({ janus: 'attach', session_id: 1, plugin: 'janus.plugin.videoroom' }), {
      name: 'JanusError',
      kind: 'janus',
      code: 458,
    });
  });

  it('JanusClient › close rejects pending requests and fires onClose once', async () => {
    const c = await connect();
    const s = await c.createSession();
    const h = await s.attach();
    let closes = 0;
    c.onClose(() => closes++);
    const handleEvents: string[] = [];
    h.on((e) => handleEvents.push(e.kind));
    const pending = h.message({ request: 'listparticipants', room: 1 });
    c.close();
    await assert.rejects(pending, { name: 'JanusError', kind: 'closed' });
    await assert.rejects(c.info(), { kind: 'closed' });
    c.close();
    assert.equal(closes, 1);
    assert.deepEqual(handleEvents, ['detached']);
  });

  it('JanusClient › Janus going away closes the client with a closed error', async () => {
    const c = await connect();
    let reason: JanusError | undefined;
    c.onClose((err) => {
      reason = err;
    });
    await janus.restart();
    await until(() => reason !== undefined, { what: 'the handle to report why it ended', timeoutMs: 10_000 });
    assert.equal(reason?.kind, 'closed');
    assert.ok(c.closed);
    // And the restarted Janus serves a new client.
    await (await connect()).createSession();
  });
});
