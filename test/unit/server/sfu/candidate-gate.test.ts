/** The SFU's candidate gate: policy per client address, the per-connection limit, the counts. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError } from '@parley/protocol';
import { CandidateGate, SFU_CANDIDATES_MAX } from '../../../../packages/server/src/sfu/candidate-gate.ts';
import type { CandidateDropReason } from '../../../../packages/server/src/sfu/sfu-metrics.ts';

const PUBLIC = 'candidate:1 1 udp 2122260223 198.51.100.20 50000 typ host';
const PRIVATE = 'candidate:2 1 udp 2122260223 192.168.1.20 50001 typ host';
const BLOCKED = 'candidate:3 1 udp 2122260223 203.0.113.5 50002 typ host';

function gate(mode: 'auto' | 'drop' | 'allow') {
  const dropped: [CandidateDropReason, number][] = [];
  const g = new CandidateGate(
    { sfuPrivateCandidates: mode, sfuBlockedCandidates: ['203.0.113.0/24'] },
    { candidatesDropped: (reason, n = 1) => void dropped.push([reason, n]), roomRefused() {} },
  );
  return { g, dropped };
}

describe('CandidateGate', () => {
  it('private candidates pass with allow, with auto from a private address, never with drop', () => {
    assert.equal(gate('allow').g.admit('198.51.100.1', 'publisher', 1, PRIVATE), true);
    assert.equal(gate('auto').g.admit('10.0.0.2', 'publisher', 1, PRIVATE), true);
    const auto = gate('auto');
    assert.equal(auto.g.admit('198.51.100.1', 'subscriber', 1, PRIVATE), false);
    assert.deepEqual(auto.dropped, [['private', 1]]);
    assert.equal(gate('drop').g.admit('10.0.0.2', 'publisher', 1, PRIVATE), false);
    assert.equal(gate('drop').g.admit('10.0.0.2', 'publisher', 1, PUBLIC), true);
  });

  it('blocked ranges never pass, even with allow', () => {
    const t = gate('allow');
    assert.equal(t.g.admit('10.0.0.2', 'publisher', 1, BLOCKED), false);
    assert.deepEqual(t.dropped, [['blocked', 1]]);
  });

  it('a line that is no candidate is BAD_MESSAGE; past the limit FORBIDDEN, counted as too_many', () => {
    const t = gate('drop');
    assert.throws(
      () => t.g.admit('10.0.0.2', 'publisher', 1, 'hello'),
      (e: unknown) => e instanceof ParleyError && e.code === 'BAD_MESSAGE',
    );
    assert.equal(t.g.admit('10.0.0.2', 'publisher', SFU_CANDIDATES_MAX, PUBLIC), true);
    assert.throws(
      () => t.g.admit('10.0.0.2', 'subscriber', SFU_CANDIDATES_MAX + 1, PUBLIC),
      (e: unknown) =>
        e instanceof ParleyError && e.code === 'FORBIDDEN' && /per subscriber connection/.test(e.message),
    );
    assert.deepEqual(t.dropped, [
      ['malformed', 1],
      ['too_many', 1],
    ]);
  });

  it('filterSdp takes out the candidate lines that may not pass and counts them', () => {
    const t = gate('drop');
    const sdp = `v=0\r\na=${PUBLIC}\r\na=${PRIVATE}\r\na=${BLOCKED}\r\n`;
    assert.equal(t.g.filterSdp('10.0.0.2', sdp), `v=0\r\na=${PUBLIC}\r\n`);
    assert.deepEqual(t.dropped, [['in_description', 2]]);
    assert.equal(gate('allow').g.filterSdp('', `v=0\r\n`), 'v=0\r\n');
  });
});
