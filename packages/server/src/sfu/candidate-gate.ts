/**
 * Which of a client's ICE candidates reach Janus: those `judgeCandidate` passes under the
 * policy for the client's address (PARLEY_SFU_PRIVATE_CANDIDATES, PARLEY_SFU_BLOCKED_CANDIDATES),
 * at most `SFU_CANDIDATES_MAX` per connection and description. The rest is counted
 * (`parley_sfu_candidates_dropped_total`). No I/O; imports the protocol, candidate-filter.ts and
 * the metrics' face.
 */
import { ParleyError } from '@parley/protocol';
import {
  blockList,
  type CandidatePolicy,
  filterSdpCandidates,
  isPrivateAddress,
  judgeCandidate,
} from './candidate-filter.ts';
import type { SfuConfig } from './sfu-config.ts';
import type { SfuMetrics } from './sfu-metrics.ts';

/**
 * Candidates one member may trickle to one of its connections (publisher or subscriber) per
 * description: a browser gathers a handful per interface (host, srflx, relay; UDP and TCP), so
 * this is generous for real clients and bounds what a hostile one can make Janus check.
 */
export const SFU_CANDIDATES_MAX = 64;

/** The candidate policy of the SFU, per client address. */
export class CandidateGate {
  readonly #mode: SfuConfig['sfuPrivateCandidates'];
  readonly #metrics: SfuMetrics;
  /** Policies with private candidates dropped and allowed (see `policyFor`). */
  readonly #dropPrivate: CandidatePolicy;
  readonly #allowPrivate: CandidatePolicy;

  constructor(config: Pick<SfuConfig, 'sfuPrivateCandidates' | 'sfuBlockedCandidates'>, metrics: SfuMetrics) {
    this.#mode = config.sfuPrivateCandidates;
    this.#metrics = metrics;
    const blocked = blockList(config.sfuBlockedCandidates ?? []);
    this.#dropPrivate = { allowPrivate: false, blocked };
    this.#allowPrivate = { allowPrivate: true, blocked };
  }

  /** Which candidates of a client connected from `ip` ('' when unknown) may reach Janus. */
  policyFor(ip: string): CandidatePolicy {
    if (this.#mode === 'allow') return this.#allowPrivate;
    if (this.#mode === 'auto' && isPrivateAddress(ip)) return this.#allowPrivate;
    return this.#dropPrivate;
  }

  /** A client's description without the `a=candidate` lines Janus must not be given. */
  filterSdp(ip: string, sdp: string): string {
    const out = filterSdpCandidates(sdp, this.policyFor(ip));
    if (out.dropped > 0) this.#metrics.candidatesDropped('in_description', out.dropped);
    return out.sdp;
  }

  /**
   * Judges a trickled candidate line, the `count`th to the client's `target` connection since its
   * last description: true when it may go to Janus, false when it is to be acknowledged and
   * dropped (a browser's private host candidates are normal). Throws `FORBIDDEN` past
   * `SFU_CANDIDATES_MAX` and `BAD_MESSAGE` for a line that is no candidate.
   */
  admit(ip: string, target: 'publisher' | 'subscriber', count: number, line: string): boolean {
    if (count > SFU_CANDIDATES_MAX) {
      this.#metrics.candidatesDropped('too_many');
      throw new ParleyError(
        'FORBIDDEN',
        `at most ${SFU_CANDIDATES_MAX} candidates per ${target} connection and description`,
      );
    }
    const verdict = judgeCandidate(line, this.policyFor(ip));
    if (verdict === 'ok') return true;
    this.#metrics.candidatesDropped(verdict);
    if (verdict === 'malformed') throw new ParleyError('BAD_MESSAGE', 'not an ICE candidate line');
    return false;
  }
}
