/** MemoryCallStore › `call.resume` claims: only two matching claims recreate a call. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCallStore } from '@parley/server';

describe('MemoryCallStore claims', () => {
  it('CallStore › a claim alone is pending; the matching claim recreates the call active; a third is refused', async () => {
    const store = new MemoryCallStore();
    assert.equal(await store.claim({ call: 'c1', name: 'a', peer: 'b' }, 60_000), 'pending');
    assert.equal(await store.callOf('a'), null, 'one claim relates nobody');
    assert.equal(await store.claim({ call: 'c1', name: 'm', peer: 'b' }, 60_000), 'pending');
    assert.equal(await store.claim({ call: 'c1', name: 'b', peer: 'a' }, 60_000), 'matched');
    assert.deepEqual(await store.get('c1'), { id: 'c1', caller: 'a', callee: 'b', state: 'active' });
    assert.equal(await store.claim({ call: 'c1', name: 'a', peer: 'b' }, 60_000), 'exists');
    assert.equal(await store.claim({ call: 'c1', name: 'm', peer: 'a' }, 60_000), 'refused');
    assert.equal(await store.claim({ call: 'c2', name: 'x', peer: 'a' }, 60_000), 'pending');
    assert.equal(
      await store.claim({ call: 'c2', name: 'a', peer: 'x' }, 60_000),
      'refused',
      'a is in a call',
    );
    await store.dropClaims('m');
    await store.dropClaims('x');
  });

  it('CallStore › claims expire, and are dropped with their session', async () => {
    const store = new MemoryCallStore();
    assert.equal(await store.claim({ call: 'c1', name: 'a', peer: 'b' }, 20), 'pending');
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(await store.claim({ call: 'c1', name: 'b', peer: 'a' }, 60_000), 'pending', 'expired');
    await store.dropClaims('b');
    assert.equal(await store.claim({ call: 'c1', name: 'a', peer: 'b' }, 60_000), 'pending', 'dropped');
    await store.dropClaims('a');
  });
});
