/**
 * `GET /ice` for the self-test: the ICE servers plus what the server says about them, so the
 * checks can tell "no relay configured" from "relay withheld for this address" (its budget of
 * TURN credentials is used up, or a token is required) and "asked too often" (429).
 */
import type { IceServer } from '@parley/protocol';

/** The server's ICE configuration as the self-test sees it. */
export interface SelfTestIce {
  servers: IceServer[];
  /** The server has TURN but gave this page none: why. */
  turnWithheld?: 'token-required' | 'address-budget';
}

/** `GET /ice` answered 429: this address asked too often. */
export class IceRateLimitedError extends Error {
  override readonly name = 'IceRateLimitedError';
  readonly retryAfterS: number;
  constructor(retryAfterS: number) {
    super(`GET /ice answered 429; retry in ${retryAfterS} s`);
    this.retryAfterS = retryAfterS;
  }
}

/** Fetches `/ice` (with the invitation token as a bearer token when there is one). */
export async function fetchSelfTestIce(signal: AbortSignal, token: string | null): Promise<SelfTestIce> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const res = await fetch('/ice', { cache: 'no-store', signal, headers });
  if (res.status === 429) {
    throw new IceRateLimitedError(Math.max(1, Number(res.headers.get('retry-after')) || 60));
  }
  if (!res.ok) throw new Error(`GET /ice answered ${res.status}`);
  const body = (await res.json()) as { iceServers?: unknown; turnWithheld?: unknown } | null;
  if (!body || !Array.isArray(body.iceServers))
    throw new Error('GET /ice did not return a list of ICE servers');
  const servers = body.iceServers.filter(
    (s): s is IceServer =>
      typeof s === 'object' &&
      s !== null &&
      (typeof (s as IceServer).urls === 'string' || Array.isArray((s as IceServer).urls)),
  );
  const why = body.turnWithheld;
  return why === 'token-required' || why === 'address-budget' ? { servers, turnWithheld: why } : { servers };
}
