import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ParleyError } from '@parley/protocol';
import { CliError, EXIT, exitCodeFor } from '../../../packages/cli/src/exit-codes.ts';

describe('exitCodeFor', () => {
  test('maps each failure kind to its documented code', () => {
    assert.equal(exitCodeFor(new CliError('usage', 'USAGE', 'x')), 2);
    assert.equal(exitCodeFor(new CliError('signaling', 'CONNECTION_FAILED', 'x')), 3);
    assert.equal(exitCodeFor(new CliError('peer', 'PEER_NOT_FOUND', 'x')), 4);
    assert.equal(exitCodeFor(new CliError('transfer', 'HASH_MISMATCH', 'x')), 5);
    assert.equal(exitCodeFor(new CliError('connectivity', 'TURN_FAILED', 'x')), 6);
    assert.equal(exitCodeFor(new CliError('interrupted', 'INTERRUPTED', 'x')), 130);
  });

  test('maps protocol and SDK error codes by their code', () => {
    assert.equal(exitCodeFor(new ParleyError('UNAUTHORIZED')), EXIT.SIGNALING);
    assert.equal(exitCodeFor(new ParleyError('NAME_TAKEN')), EXIT.SIGNALING);
    assert.equal(exitCodeFor(new ParleyError('PEER_NOT_FOUND')), EXIT.PEER);
    assert.equal(exitCodeFor(new ParleyError('ROOM_FULL')), EXIT.PEER);
    assert.equal(exitCodeFor({ code: 'HASH_MISMATCH' }), EXIT.TRANSFER);
  });

  test('anything else is an internal error (1)', () => {
    assert.equal(exitCodeFor(new Error('boom')), 1);
    assert.equal(exitCodeFor('a string'), 1);
    assert.equal(exitCodeFor(null), 1);
  });
});
