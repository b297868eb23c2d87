/**
 * What the app remembers between visits, in localStorage: the display name and the chosen
 * devices. Storage can be unavailable (private mode, blocked cookies); the app then simply
 * forgets, it never fails.
 */

const PREFIX = 'parley.';

/** Keys the app stores. */
export type PrefKey = 'name' | 'camera' | 'microphone' | 'speaker' | 'recentRooms';

/** Reads a remembered value, or null. */
export function readPref(key: PrefKey): string | null {
  try {
    return localStorage.getItem(PREFIX + key);
  } catch {
    return null;
  }
}

/** Remembers a value; null forgets it. */
export function writePref(key: PrefKey, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(PREFIX + key);
    else localStorage.setItem(PREFIX + key, value);
  } catch {
    // Storage is unavailable: the preference lasts for this page only.
  }
}

/** Rooms recently joined, most recent first (at most 5). */
export function recentRooms(): string[] {
  const raw = readPref('recentRooms');
  if (!raw) return [];
  try {
    const list: unknown = JSON.parse(raw);
    return Array.isArray(list) ? list.filter((r): r is string => typeof r === 'string').slice(0, 5) : [];
  } catch {
    return [];
  }
}

/** Puts a room at the top of the recent list. */
export function rememberRoom(room: string): void {
  writePref('recentRooms', JSON.stringify([room, ...recentRooms().filter((r) => r !== room)].slice(0, 5)));
}

const TAB_KEY = 'parley.signedIn';

/**
 * The name this browser tab is signed in with, kept in sessionStorage (per tab, survives a
 * reload), so a reload signs straight back in and the SDK resumes the session under that name.
 */
export function tabSession(): string | null {
  try {
    return sessionStorage.getItem(TAB_KEY);
  } catch {
    return null;
  }
}

/** Records (or, with null, forgets) the name this tab is signed in with. */
export function setTabSession(name: string | null): void {
  try {
    if (name === null) sessionStorage.removeItem(TAB_KEY);
    else sessionStorage.setItem(TAB_KEY, name);
  } catch {
    // No session storage: a reload simply shows the name screen again.
  }
}
