/**
 * The call this tab is in, kept in sessionStorage (per tab, survives a reload) so a reloaded page
 * takes the call up again (`client.rejoinCall`). Only the call's id, the other party and who
 * called: nothing secret (the SDK keeps the session token itself, also per tab). Cleared when the
 * call ends or the person signs out. Storage can be unavailable: a reload then simply ends the call.
 *
 * DOM-free app layer: imports nothing.
 */

const CALL_KEY = 'parley.call';

/** What a reloaded page needs to take its call up again. */
export interface SavedCall {
  id: string;
  remote: string;
  direction: 'outgoing' | 'incoming';
}

/** The call this tab was in, if any and well-formed. */
export function savedCall(): SavedCall | null {
  try {
    const raw = sessionStorage.getItem(CALL_KEY);
    if (!raw) return null;
    const v = JSON.parse(raw) as Partial<SavedCall>;
    if (typeof v.id !== 'string' || typeof v.remote !== 'string') return null;
    if (v.direction !== 'outgoing' && v.direction !== 'incoming') return null;
    return { id: v.id, remote: v.remote, direction: v.direction };
  } catch {
    return null;
  }
}

/** Remembers (or, with null, forgets) the call this tab is in. */
export function saveCall(call: SavedCall | null): void {
  try {
    if (call === null) sessionStorage.removeItem(CALL_KEY);
    else sessionStorage.setItem(CALL_KEY, JSON.stringify(call));
  } catch {
    // No session storage: a reload ends the call instead of rejoining it.
  }
}
