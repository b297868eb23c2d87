/**
 * The display-name rules as people read them: the protocol's length and alphabet, checked before
 * the server is asked (it checks the same again).
 *
 * DOM-free; imports the protocol's limits only.
 */
import { LIMITS, NAME_PATTERN } from '@parley/protocol';

/** Checks a name against the protocol's rules; returns a message or null. */
export function nameProblem(name: string): string | null {
  if (name.length === 0) return 'Type a name so others know who you are.';
  if (name.length > LIMITS.nameMaxChars) return `Names are at most ${LIMITS.nameMaxChars} characters.`;
  if (!NAME_PATTERN.test(name)) return 'Use letters, digits, dots, dashes or underscores (no spaces).';
  return null;
}
