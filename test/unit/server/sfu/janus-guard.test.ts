/** `guard`: a failed Janus exchange becomes the protocol error the client gets. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError } from '@parley/protocol';
import { JanusError } from '../../../../packages/server/src/sfu/janus-client.ts';
import { guard } from '../../../../packages/server/src/sfu/janus-guard.ts';

const code = (c: string) => (e: unknown) => e instanceof ParleyError && e.code === c;

describe('guard', () => {
  it('passes the result through', async () => {
    assert.equal(await guard(async () => 42), 42);
  });

  it('an SDP Janus cannot process (465, 466) is the client’s fault: BAD_MESSAGE', async () => {
    for (const c of [465, 466]) {
      await assert.rejects(
        guard(() => Promise.reject(new JanusError('janus', 'bad sdp', c))),
        code('BAD_MESSAGE'),
      );
    }
  });

  it('any other failure is SFU_UNAVAILABLE, with the Janus error as its cause', async () => {
    const cause = new JanusError('plugin', 'no such room', 426);
    await assert.rejects(
      guard(() => Promise.reject(cause)),
      (e: unknown) => code('SFU_UNAVAILABLE')(e) && (e as Error).cause === cause,
    );
    await assert.rejects(
      guard(() => Promise.reject(new Error('socket closed'))),
      code('SFU_UNAVAILABLE'),
    );
  });

  it('a ParleyError thrown inside passes unchanged', async () => {
    const own = new ParleyError('FORBIDDEN', 'no');
    await assert.rejects(
      guard(() => Promise.reject(own)),
      (e: unknown) => e === own,
    );
  });
});
