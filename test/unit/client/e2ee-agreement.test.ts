import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AgreementError,
  CallAgreement,
  commitmentOf,
} from '../../../packages/client/src/features/e2ee/call-agreement.ts';
import { firstEpoch, safetyCode } from '../../../packages/client/src/features/e2ee/key-schedule.ts';
import { decodeClient, decodeServer } from '../../../packages/protocol/src/codec.ts';
import { decodeSignalData } from '../../../packages/protocol/src/signal.ts';

const SCOPE = 'call:alice:bob';
const codeOf = async (secret: string) => safetyCode(await firstEpoch(secret, SCOPE));

/** The exchange as the SDK runs it: invite with the caller's commitment, callee's key, caller's key. */
async function agree(caller: CallAgreement, callee: CallAgreement, seenByCallee = caller.publicKey) {
  const commit = await caller.commitment();
  const callerSecret = await caller.secret(callee.publicKey, 'caller');
  const calleeSecret = await callee.secret(seenByCallee, 'callee', commit);
  return { callerSecret, calleeSecret };
}

describe('call key agreement', () => {
  it('both parties derive one secret, so one safety code; every call gets a new one', async () => {
    const [a, b] = await Promise.all([CallAgreement.create(), CallAgreement.create()]);
    assert.equal(a.publicKey.length, 88);
    const { callerSecret, calleeSecret } = await agree(a, b);
    assert.equal(callerSecret, calleeSecret);
    assert.match(callerSecret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(await codeOf(callerSecret), await codeOf(calleeSecret));
    const [c, d] = await Promise.all([CallAgreement.create(), CallAgreement.create()]);
    assert.notEqual((await agree(c, d)).callerSecret, callerSecret);
  });

  it('a server that swaps both keys leaves each side with its own secret and a different code', async () => {
    const [alice, bob, m1, m2] = await Promise.all([1, 2, 3, 4].map(() => CallAgreement.create()));
    // The server keeps alice's commitment (it cannot forge one for a key it does not yet have
    // without committing to it) and substitutes m1 towards alice, m2 towards bob.
    const aliceSecret = await alice!.secret(m1!.publicKey, 'caller');
    const bobSecret = await bob!.secret(m2!.publicKey, 'callee', await m2!.commitment());
    assert.notEqual(aliceSecret, bobSecret);
    assert.notEqual(await codeOf(aliceSecret), await codeOf(bobSecret));
    // What the server itself can derive matches neither side's pair of keys in the right roles.
    assert.notEqual(await m1!.secret(alice!.publicKey, 'callee', await alice!.commitment()), bobSecret);
  });

  it("the callee refuses a caller key that does not match the invite's commitment", async () => {
    const [a, b, m] = await Promise.all([1, 2, 3].map(() => CallAgreement.create()));
    const commit = await a!.commitment();
    await assert.rejects(b!.secret(m!.publicKey, 'callee', commit), AgreementError);
    await assert.rejects(b!.secret(a!.publicKey, 'callee'), AgreementError);
    // A tampered key (one bit) fails the commitment too.
    const raw = Buffer.from(a!.publicKey, 'base64');
    raw[40]! ^= 1;
    await assert.rejects(b!.secret(raw.toString('base64'), 'callee', commit), AgreementError);
  });

  it('a key that is not a P-256 point is refused, not used', async () => {
    const b = await CallAgreement.create();
    const bogus = Buffer.alloc(65, 7);
    bogus[0] = 4;
    const key = bogus.toString('base64');
    await assert.rejects(b.secret(key, 'caller'), AgreementError);
    await assert.rejects(b.secret(key, 'callee', await commitmentOf(key)), AgreementError);
  });

  it('roles fix the key order: two callers (or a swapped role) do not agree', async () => {
    const [a, b] = await Promise.all([CallAgreement.create(), CallAgreement.create()]);
    assert.notEqual(await a.secret(b.publicKey, 'caller'), await b.secret(a.publicKey, 'caller'));
  });
});

describe('key agreement on the wire', () => {
  it('e2ee-key signals are validated: exact length, base64, a scope', async () => {
    const key = (await CallAgreement.create()).publicKey;
    assert.ok(decodeSignalData({ kind: 'e2ee-key', scope: 'call:x', key }).ok);
    for (const bad of [
      { kind: 'e2ee-key', scope: 'call:x', key: `${key}A` },
      { kind: 'e2ee-key', scope: 'call:x', key: key.slice(1) },
      { kind: 'e2ee-key', scope: 'call:x', key: `${key.slice(0, 80)}!!!!!!!=` },
      { kind: 'e2ee-key', scope: 'call:x', key: 'x'.repeat(100_000) },
      { kind: 'e2ee-key', scope: 'call:x' },
      { kind: 'e2ee-key', key },
    ]) {
      const r = decodeSignalData(bad);
      assert.equal(r.ok, false);
      assert.equal(r.ok ? '' : r.code, 'BAD_MESSAGE');
    }
  });

  it('call.invite and call.incoming carry only a well-formed commitment', async () => {
    const commit = await (await CallAgreement.create()).commitment();
    const invite = (e2ee: unknown) => JSON.stringify({ type: 'call.invite', id: 1, to: 'bob', e2ee });
    const ok = decodeClient(invite({ commit }));
    assert.ok(ok.ok);
    for (const bad of [{ commit: `${commit}A` }, { commit, extra: 1 }, { commit: 5 }, true, 'agree', {}]) {
      const r = decodeClient(invite(bad));
      assert.equal(r.ok ? '' : r.code, 'BAD_MESSAGE', JSON.stringify(bad));
    }
    const incoming = decodeServer(
      JSON.stringify({ type: 'call.incoming', call: 'c1', from: 'alice', e2ee: { commit } }),
    );
    assert.ok(incoming.ok && incoming.msg.type === 'call.incoming' && incoming.msg.e2ee?.commit === commit);
  });
});
