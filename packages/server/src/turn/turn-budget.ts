/**
 * How many holders of unexpired TURN credentials each client address may have at once. A holder
 * is a session (by name) or the address's `/ice` self-test; it keeps its place until the
 * credentials it was last given expire (they cannot be revoked earlier: coturn checks only the
 * HMAC and the expiry). A holder asking again (a refresh, a resume) extends its place; a new
 * holder beyond the limit is refused and gets STUN only.
 *
 * This is the signaling side of the TURN budget. The hard cap is coturn's `user-quota`, which
 * counts allocations per TURN username without its timestamp: anonymous credentials carry an
 * id per address (`turnAddressId`), so every holder of one address shares one quota, on every
 * node. The budget here keeps the credentials a stranger can collect small, so a refused
 * session is told at `welcome` (STUN only) instead of failing later at allocation time (486).
 */

/** Options of `TurnBudget`. */
export interface TurnBudgetOptions {
  /** Holders per address key. 0: nobody gets credentials. */
  readonly perAddress: number;
  /** Most address keys tracked; beyond it the one touched longest ago is forgotten. Default 100 000. */
  readonly maxAddresses?: number;
}

/** Holders of unexpired credentials per address key (see `ipKey`: IPv6 per /64). */
export class TurnBudget {
  readonly #perAddress: number;
  readonly #maxAddresses: number;
  /** Address key → holder → expiry (ms). Map order is recency order. */
  readonly #holders = new Map<string, Map<string, number>>();
  #lastSweepMs = 0;

  constructor(o: TurnBudgetOptions) {
    this.#perAddress = o.perAddress;
    this.#maxAddresses = o.maxAddresses ?? 100_000;
  }

  /**
   * Gives `holder` of `addressKey` a place until `untilMs`, or extends the one it has. False
   * (and nothing changed) when the address already has `perAddress` other holders.
   */
  grant(addressKey: string, holder: string, untilMs: number, nowMs: number = Date.now()): boolean {
    this.#maybeSweep(nowMs);
    const holders = this.#live(addressKey, nowMs);
    const current = holders?.get(holder);
    if (current === undefined && (holders?.size ?? 0) >= this.#perAddress) return false;
    const map = holders ?? new Map<string, number>();
    map.set(holder, Math.max(current ?? 0, untilMs));
    // Re-insert so the least recently granted address is the first to go when over the cap.
    this.#holders.delete(addressKey);
    this.#holders.set(addressKey, map);
    if (this.#holders.size > this.#maxAddresses) {
      const oldest = this.#holders.keys().next().value;
      if (oldest !== undefined) this.#holders.delete(oldest);
    }
    return true;
  }

  /** Holders of `addressKey` whose credentials have not expired yet. */
  count(addressKey: string, nowMs: number = Date.now()): number {
    return this.#live(addressKey, nowMs)?.size ?? 0;
  }

  /** Address keys tracked (for tests and metrics). */
  get addresses(): number {
    return this.#holders.size;
  }

  /** The holders of `addressKey` with expired places removed (the key too, when none is left). */
  #live(addressKey: string, nowMs: number): Map<string, number> | undefined {
    const holders = this.#holders.get(addressKey);
    if (!holders) return undefined;
    for (const [holder, until] of holders) if (until <= nowMs) holders.delete(holder);
    if (holders.size === 0) {
      this.#holders.delete(addressKey);
      return undefined;
    }
    return holders;
  }

  /** Drops expired places everywhere, at most once a minute, so idle addresses do not pile up. */
  #maybeSweep(nowMs: number): void {
    if (nowMs - this.#lastSweepMs < 60_000) return;
    this.#lastSweepMs = nowMs;
    for (const key of [...this.#holders.keys()]) this.#live(key, nowMs);
  }
}
